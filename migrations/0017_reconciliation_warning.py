from tortoise import migrations
from tortoise.migrations import operations as ops
from app.domain.warnings import WarningKind
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_card_holder')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='EarlyWarning',
            name='kind',
            field=fields.CharEnumField(description='NEW_OVERDUE: new_overdue\nRISING_DPD: rising_dpd\nNEW_HARD_QUERIES: new_hard_queries\nLARGE_DRAWDOWN_AFTER_GRANT: large_drawdown_after_grant\nREPEATED_FAILED_DEBITS: repeated_failed_debits\nRECONCILIATION_BREAK: reconciliation_break', enum_type=WarningKind, max_length=32),
        ),
    ]
