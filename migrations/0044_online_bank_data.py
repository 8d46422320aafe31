"""线上便利贷 (issue 20): an online application decided on the credit report and the bank's own records queries no
external source, so its `source` may be null."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from app.domain.external_data import ExternalSource


class Migration(migrations.Migration):
    dependencies = [('models', '0043_guarantor_consent')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='CreditApplication',
            name='source',
            field=fields.CharEnumField(description='HOUSING_FUND: housing_fund\nSOCIAL_INSURANCE: social_insurance\nTAX: tax\nGRAIN_SUBSIDY: grain_subsidy\nINSURANCE: insurance\nSTATE_GRID: state_grid', enum_type=ExternalSource, max_length=24, null=True),
        ),
    ]
