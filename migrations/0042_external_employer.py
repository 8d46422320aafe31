"""External data (issue 20): a 公积金 answer keeps its paying unit (缴存单位) in a column, so the relationship graph
finds the customers of one employer without reading every answer's facts. Also the new warning kinds (公积金/社保断缴,
新增欠税, 保单退保, 电费欠费) and customer tags from external data in the enum fields' descriptions."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from app.domain.tags import Tag
from app.domain.warnings import WarningKind


class Migration(migrations.Migration):
    dependencies = [('models', '0041_extension_application')]

    initial = False

    operations = [
        ops.AddField(model_name='ExternalDataQuery', name='employer', field=fields.CharField(max_length=128, null=True, db_index=True)),
        ops.AlterField(
            model_name='EarlyWarning',
            name='kind',
            field=fields.CharEnumField(description='NEW_OVERDUE: new_overdue\nRISING_DPD: rising_dpd\nNEW_HARD_QUERIES: new_hard_queries\nLARGE_DRAWDOWN_AFTER_GRANT: large_drawdown_after_grant\nREPEATED_FAILED_DEBITS: repeated_failed_debits\nRECONCILIATION_BREAK: reconciliation_break\nPOST_LOAN_CHECK: post_loan_check\nGUARANTEE_CALLED: guarantee_called\nHOUSING_FUND_STOPPED: housing_fund_stopped\nSOCIAL_INSURANCE_STOPPED: social_insurance_stopped\nNEW_TAX_ARREARS: new_tax_arrears\nPOLICY_SURRENDERED: policy_surrendered\nELECTRICITY_ARREARS: electricity_arrears', enum_type=WarningKind, max_length=32),
        ),
        ops.AlterField(
            model_name='CustomerTag',
            name='tag',
            field=fields.CharEnumField(description='OVERDUE_HISTORY: overdue_history\nCURRENTLY_OVERDUE: currently_overdue\nLARGE_BORROWER: large_borrower\nPUBLIC_SERVANT: public_servant\nLARGE_GROWER: large_grower\nPRIME: prime\nHOUSING_FUND_STEADY: housing_fund_steady\nSOCIAL_INSURED: social_insured\nTAX_ARREARS: tax_arrears\nELECTRICITY_ARREARS: electricity_arrears\nPOLICY_HOLDER: policy_holder', enum_type=Tag, max_length=32),
        ),
    ]
