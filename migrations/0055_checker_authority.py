"""Maker-checker (issue 17): a request above the branch's approval authority (授权) is checked by the bank's head office;
the request keeps the amount it was judged by and whether it went up (decided when it is made, by the settings then)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0054_loan_legacy_interest_paid')]

    initial = False

    operations = [
        ops.AddField(model_name='PendingCommand', name='amount_fen', field=fields.BigIntField(null=True)),
        ops.AddField(model_name='PendingCommand', name='head_office', field=fields.BooleanField(default=False, db_default=False)),
    ]
