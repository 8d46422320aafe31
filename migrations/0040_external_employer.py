"""External data (issue 20): a 公积金 answer keeps its paying unit (缴存单位) in a column, so the relationship graph
finds the customers of one employer without reading every answer's facts."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0039_external_import')]

    initial = False

    operations = [
        ops.AddField(model_name='ExternalDataQuery', name='employer', field=fields.CharField(max_length=128, null=True, db_index=True)),
    ]
