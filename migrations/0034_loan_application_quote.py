"""Drawdown applications keep the quote of their first answer (issue 16): the rate and the business date the schedule
was quoted for, so a retry with the same idempotency key and a read-back give the same rate and schedule."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0033_import_record")]

    initial = False

    operations = [
        ops.AddField(
            model_name='LoanApplication',
            name='annual_rate_ppm',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='LoanApplication',
            name='quoted_on',
            field=fields.DateField(null=True),
        ),
    ]
