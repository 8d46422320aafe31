from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0017_reconciliation_warning')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Loan',
            name='compound_carry',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Loan',
            name='interest_carry',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Loan',
            name='penalty_carry',
            field=fields.BigIntField(default=0, db_default=0),
        ),
    ]
