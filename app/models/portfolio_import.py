"""Portfolio import: which record each source-system key became (so a re-run adds nothing)."""

from tortoise import fields
from tortoise.models import Model


class ImportRecord(Model):
    """One imported row: (bank, kind, the source system's key) → the record created from it."""

    id = fields.UUIDField(primary_key=True)
    bank = fields.ForeignKeyField("models.Bank", related_name="import_records", on_delete=fields.RESTRICT)
    kind = fields.CharField(max_length=16)  # customers / cards / credit_lines (app.domain.portfolio_import.KINDS)
    source_key = fields.CharField(max_length=64)
    entity_id = fields.UUIDField()
    file_sha256 = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "import_record"
        unique_together = (("bank", "kind", "source_key"),)
