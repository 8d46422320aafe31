"""External data (issue 20): the customer's consents to query each source, and every query with what it returned.

Both belong to the customer's member bank (`bank`): a consent given at bank A lets bank A query, never bank B.
"""

from tortoise import fields
from tortoise.models import Model

from app.domain.external_data import CreditApplicationStatus, ExternalQueryStatus, ExternalSource


class ExternalDataConsent(Model):
    """A customer's authorisation to query one external source, for named purposes, until it expires (PIPL)."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="external_consents", on_delete=fields.RESTRICT)
    bank = fields.ForeignKeyField("models.Bank", related_name="external_consents", on_delete=fields.RESTRICT)
    source = fields.CharEnumField(ExternalSource, max_length=24)
    purposes = fields.JSONField()  # ConsentPurpose values: application, post_loan
    signed_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    document = fields.ForeignKeyField("models.Document", related_name="external_consents", null=True, on_delete=fields.RESTRICT)  # the signed form in the e-archive
    officer = fields.ForeignKeyField("models.Officer", related_name="external_consents", null=True, on_delete=fields.SET_NULL)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "external_data_consent"
        indexes = (("customer_id", "source"),)


class ExternalDataQuery(Model):
    """One query to an external source (or one imported row): who, why, when, under which consent, and the result."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="external_queries", on_delete=fields.RESTRICT)
    bank = fields.ForeignKeyField("models.Bank", related_name="external_queries", on_delete=fields.RESTRICT)
    consent = fields.ForeignKeyField("models.ExternalDataConsent", related_name="queries", on_delete=fields.RESTRICT)
    source = fields.CharEnumField(ExternalSource, max_length=24)
    purpose = fields.CharField(max_length=16)  # a ConsentPurpose value
    officer = fields.ForeignKeyField("models.Officer", related_name="external_queries", null=True, on_delete=fields.SET_NULL)
    actor = fields.CharField(max_length=64)  # who asked: "officer:<username>", "system", ...
    requested_at = fields.DatetimeField(db_index=True)
    finished_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(ExternalQueryStatus, max_length=16, default=ExternalQueryStatus.PENDING)
    error_code = fields.CharField(max_length=32, null=True)
    error = fields.CharField(max_length=256, null=True)
    facts = fields.JSONField(null=True)  # the facts' JSON form (app/domain/external_data.py) when status is ok
    # provenance of an imported row (`cunxin external-import`): the file's SHA-256 and name, and its rows for this customer;
    # null for a query asked of the source. The importer is `actor`/`officer`, the time `requested_at`.
    employer = fields.CharField(max_length=128, null=True, db_index=True)  # 公积金 ok answers: the paying unit, for the relationship graph
    import_sha256 = fields.CharField(max_length=64, null=True, db_index=True)
    import_file = fields.CharField(max_length=255, null=True)
    import_rows = fields.JSONField(null=True)  # the file's row numbers (as the spreadsheet shows them)

    class Meta:
        table = "external_data_query"
        indexes = (("customer_id", "source", "requested_at"),)


class CreditApplication(Model):
    """An application for an online credit line (授信申请) in the app: the data it used, the decision, the offer, the line.

    Filed with the borrower's customer record at the product's member bank. `decision` holds what the answer
    rests on (the sources' statuses, the strategy's hits and limit terms), and the strategy decision itself is a
    RiskStrategyDecision like the visit's."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="credit_applications", on_delete=fields.RESTRICT)
    product = fields.ForeignKeyField("models.Product", related_name="credit_applications", on_delete=fields.RESTRICT)
    idempotency_key = fields.UUIDField()
    source = fields.CharEnumField(ExternalSource, max_length=24, null=True)  # null: the bank's own data (线上便利贷), nothing external
    status = fields.CharEnumField(CreditApplicationStatus, max_length=16)
    strategy_version = fields.CharField(max_length=64)
    risk_decision = fields.ForeignKeyField("models.RiskDecision", related_name="credit_applications", null=True, on_delete=fields.RESTRICT)
    strategy_decision = fields.ForeignKeyField("models.RiskStrategyDecision", related_name="credit_applications", null=True, on_delete=fields.RESTRICT)
    external_query = fields.ForeignKeyField("models.ExternalDataQuery", related_name="credit_applications", null=True, on_delete=fields.RESTRICT)
    decision = fields.JSONField()  # {"bureau": ..., "source": ..., "strategy": ...}: the evidence of the answer
    message = fields.TextField(default="")  # what the borrower is told (neutral on a refusal)
    limit_fen = fields.BigIntField(default=0)  # the offer (0 unless offered)
    spread_bp = fields.IntField(null=True)
    lpr_ppm = fields.IntField(null=True)
    annual_rate_ppm = fields.IntField(null=True)  # LPR + spread, the 年化利率 stated with the offer
    max_term_months = fields.IntField(null=True)
    methods = fields.JSONField(null=True)  # RepaymentMethod values offered
    applied_at = fields.DatetimeField()
    offered_at = fields.DatetimeField(null=True)  # when the offer was made (at applying, or an approver's approval): its validity runs from here
    review_requested_at = fields.DatetimeField(null=True)  # PIPL art. 24: the borrower asked a person to review a refusal
    review_reason = fields.CharField(max_length=256, default="")
    accepted_at = fields.DatetimeField(null=True)
    contract_document = fields.ForeignKeyField("models.Document", related_name="credit_applications", null=True, on_delete=fields.RESTRICT)  # the sealed contract PDF
    credit_line = fields.ForeignKeyField("models.CreditLine", related_name="credit_applications", null=True, on_delete=fields.RESTRICT)

    class Meta:
        table = "credit_application"
        unique_together = (("customer", "idempotency_key"),)
