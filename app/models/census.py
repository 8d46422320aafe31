"""Census imports: an uploaded household file, parsed and checked, waiting for confirmation."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CensusImportStatus(StrEnum):
    PREVIEWED = "previewed"  # parsed and checked; nothing saved to the census yet
    COMMITTED = "committed"  # every row saved, in one transaction
    DISCARDED = "discarded"


class CensusImport(Model):
    """One uploaded file. The parsed rows (names, ID numbers, phones) are one AES-GCM blob, and
    `preview` holds only masked values and the row errors, for the preview page."""

    id = fields.UUIDField(primary_key=True)
    status = fields.CharEnumField(CensusImportStatus, max_length=16, default=CensusImportStatus.PREVIEWED)
    filename = fields.CharField(max_length=128)
    file_sha256 = fields.CharField(max_length=64)
    size_bytes = fields.BigIntField()
    branch = fields.ForeignKeyField("models.Branch", related_name="census_imports", on_delete=fields.RESTRICT)
    created_by = fields.ForeignKeyField("models.Officer", related_name="census_imports", null=True, on_delete=fields.SET_NULL)
    village_ids = fields.JSONField(default=list)  # villages the rows name (ids as strings)
    row_count = fields.IntField()
    error_count = fields.IntField()
    household_count = fields.IntField(default=0)  # households the file creates
    payload_enc = fields.BinaryField(null=True)  # the valid rows as JSON, encrypted; cleared once committed or discarded
    preview = fields.JSONField(default=dict)  # {rows: [masked rows, first 200], errors: [{line, column, message}], error_lines, members, existing_households}
    created_at = fields.DatetimeField(auto_now_add=True)
    committed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "census_import"
