"""Report API keys (报表密钥): read-only bearer keys for reporting tools, scoped to a branch tree.

Only the sha256 of the key is stored; the key itself is shown once when it is made.
`prefix` (the first characters of the key) lets an operator tell keys apart.
"""

from tortoise import fields
from tortoise.models import Model


class ReportKey(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=64)
    key_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=16)
    # the key sees this branch and every branch below it
    branch = fields.ForeignKeyField("models.Branch", related_name="report_keys", on_delete=fields.RESTRICT)
    created_by = fields.ForeignKeyField("models.Officer", related_name="report_keys_created", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_by = fields.ForeignKeyField("models.Officer", related_name="report_keys_revoked", null=True, on_delete=fields.SET_NULL)
    last_used_at = fields.DatetimeField(null=True)
    # PII scope: reportCustomers gives this key whole names, ID numbers and phones (each read audited); without it, masked
    pii_scope = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "report_key"
