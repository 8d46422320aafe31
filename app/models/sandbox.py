"""The sandbox core banking's own books (app/integrations/core_banking.py: SandboxCoreBanking).

Kept in the database so the web, the workers, the CLI and a restarted process see the same
references (idempotency) and the same journal. Not part of the bank's ledger.
"""

from tortoise import fields
from tortoise.models import Model


class SandboxCoreTransaction(Model):
    id = fields.UUIDField(primary_key=True)
    reference = fields.CharField(max_length=80, unique=True)
    kind = fields.CharField(max_length=16)  # disburse / debit / refund
    amount_fen = fields.BigIntField()
    card_last4 = fields.CharField(max_length=4, default="")
    done = fields.BooleanField()
    reason = fields.CharField(max_length=128, default="")
    core_ref = fields.CharField(max_length=64, default="")
    booked_on = fields.DateField(db_index=True)  # the bank's business date when the core booked it
    original_reference = fields.CharField(max_length=80, null=True)  # a refund: the debit it gives back
    status_queries = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "sandbox_core_txn"
