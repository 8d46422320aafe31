"""Risk control: credit authorisations and queries, decisions, rule sets, lists, identity checks."""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import CreditQueryStatus, IdentityOutcome, ListKind, RiskOutcome, RiskPurpose, RuleSetKind


class CreditAuthorisation(Model):
    """A signed credit-report authorisation (征信查询授权书) on file."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="credit_authorisations", on_delete=fields.RESTRICT)
    document = fields.ForeignKeyField("models.Document", related_name="credit_authorisations", null=True, on_delete=fields.RESTRICT)
    signed_at = fields.DatetimeField()
    valid_until = fields.DateField()  # last day (business date) a query may rely on it
    officer = fields.ForeignKeyField("models.Officer", related_name="credit_authorisations", null=True, on_delete=fields.SET_NULL)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "credit_authorisation"


class CreditQuery(Model):
    """One query to the credit bureau: who, why, when and what came back."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="credit_queries", on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="credit_queries", null=True, on_delete=fields.SET_NULL)
    authorisation = fields.ForeignKeyField(
        "models.CreditAuthorisation", related_name="credit_queries", null=True, on_delete=fields.RESTRICT
    )
    reason = fields.CharField(max_length=16)  # Query@reason: 贷款审批, 贷后管理, ...
    institution = fields.CharField(max_length=64)
    hard = fields.BooleanField()  # counts as a hard query on the subject's report
    requested_at = fields.DatetimeField(db_index=True)
    status = fields.CharEnumField(CreditQueryStatus, max_length=16, default=CreditQueryStatus.PENDING)
    error_code = fields.CharField(max_length=32, null=True)
    error = fields.CharField(max_length=256, null=True)
    report_document = fields.ForeignKeyField("models.Document", related_name="credit_queries", null=True, on_delete=fields.RESTRICT)
    report_date = fields.DateField(null=True)

    class Meta:
        table = "credit_query"


class RiskDecision(Model):
    """The outcome of running the active rule set on the report of a customer."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="risk_decisions", on_delete=fields.RESTRICT)
    credit_query = fields.ForeignKeyField("models.CreditQuery", related_name="risk_decisions", null=True, on_delete=fields.RESTRICT)
    purpose = fields.CharEnumField(RiskPurpose, max_length=16)
    ruleset_version = fields.CharField(max_length=64)
    decision = fields.CharEnumField(RiskOutcome, max_length=16)
    hits = fields.JSONField()  # [{"code", "kind", "message", "evidence"}]
    explanation = fields.TextField()
    decided_at = fields.DatetimeField(db_index=True)
    decided_by = fields.ForeignKeyField("models.Officer", related_name="risk_decisions", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "risk_decision"


class RiskStrategyDecision(Model):
    """The admission, anti-fraud, limit and pricing outcome for one customer and product.

    Kept apart from RiskDecision on purpose: the credit gate reads the latest RiskDecision,
    and a strategy pass must never hide a credit-report reject.
    """

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="strategy_decisions", on_delete=fields.RESTRICT)
    visit = fields.ForeignKeyField("models.Visit", related_name="strategy_decisions", null=True, on_delete=fields.RESTRICT)
    product_code = fields.CharField(max_length=32)
    ruleset_version = fields.CharField(max_length=64)
    decision = fields.CharEnumField(RiskOutcome, max_length=16)
    hits = fields.JSONField()  # [{"code", "kind", "message", "evidence"}]
    limit_fen = fields.BigIntField()
    limit_binding = fields.CharField(max_length=32)  # the LimitTerm that bound the limit (app/domain/rules/strategies.py)
    limit_detail = fields.JSONField()  # {"terms": {...}, "skipped": [...]}
    spread_bp = fields.IntField()
    grade = fields.CharField(max_length=16, null=True)
    pricing_source = fields.CharField(max_length=32)
    annual_income_fen = fields.BigIntField(null=True)  # as the officer entered it, if any
    explanation = fields.TextField()
    decided_at = fields.DatetimeField(db_index=True)
    decided_by = fields.ForeignKeyField("models.Officer", related_name="strategy_decisions", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "strategy_decision"


class RuleSetVersion(Model):
    """One uploaded (or the shipped) version of a rule set, at most one active per kind and bank (null bank: the platform default)."""

    id = fields.UUIDField(primary_key=True)
    bank = fields.ForeignKeyField("models.Bank", related_name="rule_set_versions", null=True, on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(RuleSetKind, max_length=16)
    # an online product's strategy (kind online): the product code it decides, one active version per product and bank; else ""
    product_code = fields.CharField(max_length=32, default="", db_default="")
    version = fields.CharField(max_length=64)  # unique within its bank (platform defaults: checked on upload)
    description = fields.CharField(max_length=256, default="")
    yaml_text = fields.TextField()
    is_active = fields.BooleanField(default=False)
    uploaded_by = fields.ForeignKeyField("models.Officer", related_name="rule_sets_uploaded", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rule_set_version"
        unique_together = (("bank", "version"),)


class ListEntry(Model):
    """A black or grey list entry, by ID number (lookup hash), with a reason and an optional expiry."""

    id = fields.UUIDField(primary_key=True)
    id_number_hash = fields.CharField(max_length=64, db_index=True)
    id_number_masked = fields.CharField(max_length=18)
    name = fields.CharField(max_length=32)
    list_kind = fields.CharEnumField(ListKind, max_length=8)
    # whose list: a member bank's own entry counts in that bank's decisions only; null = the platform's list,
    # which counts in every bank's (docs/architecture.md "Platform, banks, branches")
    bank = fields.ForeignKeyField("models.Bank", related_name="list_entries", null=True, on_delete=fields.RESTRICT)
    reason = fields.CharField(max_length=256)
    expires_on = fields.DateField(null=True)  # in force before this business date; null: no expiry
    created_by = fields.ForeignKeyField("models.Officer", related_name="list_entries_created", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    removed_at = fields.DatetimeField(null=True)
    removed_by = fields.ForeignKeyField("models.Officer", related_name="list_entries_removed", null=True, on_delete=fields.SET_NULL)
    removed_reason = fields.CharField(max_length=256, default="")

    class Meta:
        table = "list_entry"


class IdentityVerification(Model):
    """One online identity check (联网核查) and its outcome."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="identity_verifications", null=True, on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=32)
    id_number_hash = fields.CharField(max_length=64, db_index=True)
    id_number_masked = fields.CharField(max_length=18)
    with_portrait = fields.BooleanField(default=False)
    result = fields.CharEnumField(IdentityOutcome, max_length=16)
    reason_code = fields.CharField(max_length=32)
    reason = fields.CharField(max_length=128)
    checked_at = fields.DatetimeField()
    officer = fields.ForeignKeyField("models.Officer", related_name="identity_verifications", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "identity_verification"
