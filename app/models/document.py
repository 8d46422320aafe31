"""Documents: content-addressed files (sha256) under the media root."""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import DocumentKind, VerifyStatus


class Document(Model):
    id = fields.UUIDField(primary_key=True)
    sha256 = fields.CharField(max_length=64, db_index=True)
    kind = fields.CharEnumField(DocumentKind, max_length=24)
    content_type = fields.CharField(max_length=64)
    size_bytes = fields.BigIntField()
    customer = fields.ForeignKeyField("models.Customer", related_name="documents", null=True, on_delete=fields.RESTRICT)
    uploaded_by = fields.ForeignKeyField("models.Officer", related_name="documents", null=True, on_delete=fields.SET_NULL)
    title = fields.CharField(max_length=128, default="")
    verify_status = fields.CharEnumField(VerifyStatus, max_length=16, default=VerifyStatus.PENDING)
    verify_job_id = fields.CharField(max_length=128, null=True)
    verify_error = fields.CharField(max_length=256, null=True)
    verified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "document"
