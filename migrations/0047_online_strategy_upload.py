"""Online product strategies uploaded like the other rule sets (issue 20): kind `online`, one active version per product
and bank, so a rule-set version names the product it decides ("" for the other kinds)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from app.models.risk import RuleSetKind


class Migration(migrations.Migration):
    dependencies = [('models', '0046_import_run')]

    initial = False

    operations = [
        ops.AddField(model_name='RuleSetVersion', name='product_code', field=fields.CharField(default='', db_default='', max_length=32)),
        ops.AlterField(
            model_name='RuleSetVersion',
            name='kind',
            field=fields.CharEnumField(description='REJECT: reject\nSTRATEGY: strategy\nONLINE: online', enum_type=RuleSetKind, max_length=16),
        ),
    ]
