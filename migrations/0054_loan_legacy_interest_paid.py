"""Portfolio import (issue 18): an imported loan's interest paid to date in the old system (已收利息), for the reports of
interest received; it is the old system's figure, not a ledger movement (docs/import.md)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0053_platform_commands')]

    initial = False

    operations = [
        ops.AddField(model_name='Loan', name='legacy_interest_paid_fen', field=fields.BigIntField(default=0, db_default=0)),
    ]
