"""Portfolio import: which record each source-system key became (so a re-run adds nothing)."""

from tortoise import fields
from tortoise.models import Model

from app.models.identity import JobStatus


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


class ImportRun(Model):
    """One preview or confirmation of a staged upload, run by the default worker (the admin page's progress bar).

    pending → running → done | failed, as every job row (app/services/job_lifecycle/kinds.py `IMPORT`). While it runs,
    `stage` (检查 / 写入) and `rows_done` of about `rows_total` move, and when done `result` holds the counts and the
    listed errors (app/services/portfolio_import/runs.py)."""

    id = fields.UUIDField(primary_key=True)
    bank = fields.ForeignKeyField("models.Bank", related_name="import_runs", on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="import_runs", on_delete=fields.RESTRICT)
    kind = fields.CharField(max_length=16)
    token = fields.CharField(max_length=64)  # the staged upload (app/services/portfolio_import/files.py)
    confirm = fields.BooleanField()
    status = fields.CharEnumField(JobStatus, max_length=16, default=JobStatus.PENDING)
    stage = fields.CharField(max_length=8, default="")
    rows_done = fields.IntField(default=0)
    rows_total = fields.IntField(null=True)
    result = fields.JSONField(null=True)
    job_id = fields.CharField(max_length=128, null=True)
    error_code = fields.CharField(max_length=32, null=True)
    error = fields.CharField(max_length=256, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    retried_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "import_run"
