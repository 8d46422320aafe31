"""Credit contracts (授信合同): the PDF versions and the customers' signatures on them."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import ContractStatus
from app.models.identity import JobStatus


class SignatureRole(StrEnum):
    BORROWER = "borrower"  # 借款人
    CO_BORROWER = "co_borrower"  # 共同借款人


class Contract(Model):
    id = fields.UUIDField(primary_key=True)
    number = fields.CharField(max_length=48, unique=True)  # 合同编号
    credit_line = fields.OneToOneField("models.CreditLine", related_name="contract", on_delete=fields.RESTRICT)  # one per line
    customer = fields.ForeignKeyField("models.Customer", related_name="contracts", on_delete=fields.RESTRICT)
    co_borrower = fields.ForeignKeyField("models.Customer", related_name="co_borrowed_contracts", null=True, on_delete=fields.RESTRICT)
    branch = fields.ForeignKeyField("models.Branch", related_name="contracts", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(ContractStatus, max_length=24, default=ContractStatus.DRAFT)
    contract_on = fields.DateField()  # business date the terms were fixed on
    lpr_ppm = fields.IntField()  # the 1-year LPR the pricing clause quotes
    annual_rate_ppm = fields.IntField()  # LPR + the line's spread on `contract_on`
    unsigned_document = fields.ForeignKeyField("models.Document", related_name="contracts_as_unsigned", null=True, on_delete=fields.RESTRICT)
    borrower_signed_document = fields.ForeignKeyField("models.Document", related_name="contracts_as_borrower_signed", null=True, on_delete=fields.RESTRICT)
    co_borrower_signed_document = fields.ForeignKeyField("models.Document", related_name="contracts_as_co_borrower_signed", null=True, on_delete=fields.RESTRICT)
    sealed_document = fields.ForeignKeyField("models.Document", related_name="contracts_as_sealed", null=True, on_delete=fields.RESTRICT)
    render_job_id = fields.CharField(max_length=128, null=True)
    render_status = fields.CharEnumField(JobStatus, max_length=16, null=True)  # the PDF job: pending → running → done | failed
    render_requested_at = fields.DatetimeField(null=True)  # asked for (or 重试): the job's deadline counts from here
    render_started_at = fields.DatetimeField(null=True)
    render_error_code = fields.CharField(max_length=32, null=True)
    error = fields.CharField(max_length=256, null=True)  # the render's failure, as the officer reads it
    rendered_at = fields.DatetimeField(null=True)
    sealed_at = fields.DatetimeField(null=True)
    sealed_by = fields.ForeignKeyField("models.Officer", related_name="sealed_contracts", null=True, on_delete=fields.SET_NULL)
    created_by = fields.ForeignKeyField("models.Officer", related_name="created_contracts", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contract"


class ContractSignature(Model):
    """One customer's signature: who, when, where, with which face check and hand-signature image."""

    id = fields.UUIDField(primary_key=True)
    contract = fields.ForeignKeyField("models.Contract", related_name="signatures", on_delete=fields.RESTRICT)
    role = fields.CharEnumField(SignatureRole, max_length=16)
    customer = fields.ForeignKeyField("models.Customer", related_name="contract_signatures", on_delete=fields.RESTRICT)
    signed_at = fields.DatetimeField()
    lat = fields.FloatField()
    lng = fields.FloatField()
    face_verification_id = fields.UUIDField(unique=True)  # a passed face match, used for one signature only
    signature_image = fields.ForeignKeyField("models.Document", related_name="signatures_as_image", on_delete=fields.RESTRICT)
    signed_document = fields.ForeignKeyField("models.Document", related_name="signatures_as_result", on_delete=fields.RESTRICT)
    certificate_serial = fields.CharField(max_length=64)  # hex serial of the one-time signer certificate
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contract_signature"
        unique_together = (("contract", "role"),)
