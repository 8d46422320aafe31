"""Double-entry ledger and idempotency records.

Every money movement is one LedgerTransaction with balanced LedgerEntry lines
(sum of debits == sum of credits). Nothing is deleted: a mistake is reversed
by a transaction that points at the one it reverses.
"""

from tortoise import fields
from tortoise.models import Model


class LedgerTransaction(Model):
    id = fields.UUIDField(primary_key=True)
    kind = fields.CharField(max_length=32)  # disbursement, repayment, accrual, penalty, settlement, write_off, reversal
    business_on = fields.DateField(db_index=True)
    bank = fields.ForeignKeyField("models.Bank", related_name="ledger_transactions", on_delete=fields.RESTRICT)  # whose books
    loan = fields.ForeignKeyField("models.Loan", related_name="transactions", null=True, on_delete=fields.RESTRICT)
    reverses = fields.OneToOneField("models.LedgerTransaction", related_name="reversed_by", null=True, on_delete=fields.RESTRICT)
    memo = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_transaction"


class LedgerEntry(Model):
    id = fields.UUIDField(primary_key=True)
    transaction = fields.ForeignKeyField("models.LedgerTransaction", related_name="entries", on_delete=fields.RESTRICT)
    account = fields.CharField(max_length=32, db_index=True)  # chart-of-accounts code
    loan = fields.ForeignKeyField("models.Loan", related_name="entries", null=True, on_delete=fields.RESTRICT)
    debit_fen = fields.BigIntField(default=0)
    credit_fen = fields.BigIntField(default=0)
    # on the clearing line of a movement the core made: its reference (one entry per confirmed core movement)
    core_reference = fields.CharField(max_length=80, null=True, db_index=True)

    class Meta:
        table = "ledger_entry"


class IdempotencyRecord(Model):
    id = fields.UUIDField(primary_key=True)
    scope = fields.CharField(max_length=32)  # the operation, e.g. "loan_drawdown"
    key = fields.UUIDField()
    actor = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)
    result = fields.JSONField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("scope", "key"),)
