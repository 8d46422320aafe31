from tortoise import migrations
from tortoise.migrations import operations as ops
from app.domain.schedule.conventions import Method
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_risk')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Loan',
            name='method',
            field=fields.CharEnumField(description='EQUAL_INSTALLMENT: equal_installment\nEQUAL_PRINCIPAL: equal_principal\nINTEREST_FIRST: interest_first\nREVOLVING: revolving', enum_type=Method, max_length=24),
        ),
    ]
