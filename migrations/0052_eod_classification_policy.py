"""Issue 17: each close keeps the classification policy it classified with, so a value-dated reversal (跨日冲正) replays the
closed days with the same policy (the settings' CUNXIN_CLASSIFICATION_*, not the default)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0051_restructured_observation')]

    initial = False

    operations = [
        ops.AddField(model_name='EodRun', name='classification_policy', field=fields.JSONField(null=True)),
    ]
