"""Back-to-back appraisal (背靠背评议) of a village: panel, votes, review, approval, publication."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.domain.appraisal import Grade, PanelRole
from app.domain.appraisal import Status as AppraisalStatus


class ObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the amount was changed
    DISMISSED = "dismissed"


class Appraisal(Model):
    id = fields.UUIDField(primary_key=True)
    village = fields.ForeignKeyField("models.Village", related_name="appraisals", on_delete=fields.RESTRICT)
    product = fields.ForeignKeyField("models.Product", related_name="appraisals", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(AppraisalStatus, max_length=16, default=AppraisalStatus.DRAFT)
    rules = fields.JSONField()  # the rules this appraisal runs by (app.domain.appraisal.DEFAULT_RULES shape)
    created_by = fields.ForeignKeyField("models.Officer", related_name="appraisals_created", null=True, on_delete=fields.SET_NULL)
    reviewed_by = fields.ForeignKeyField("models.Officer", related_name="appraisals_reviewed", null=True, on_delete=fields.SET_NULL)
    approved_by = fields.ForeignKeyField("models.Officer", related_name="appraisals_approved", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    opened_at = fields.DatetimeField(null=True)  # 初评 opened
    round_closed_at = fields.DatetimeField(null=True)  # 初评 closed
    submitted_at = fields.DatetimeField(null=True)  # sent to 支行审定
    approved_at = fields.DatetimeField(null=True)
    published_on = fields.DateField(null=True)  # business date of 公示
    objection_until = fields.DateField(null=True)  # last day objections are taken
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "appraisal"


class PanelMember(Model):
    id = fields.UUIDField(primary_key=True)
    appraisal = fields.ForeignKeyField("models.Appraisal", related_name="panel", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=32)
    role = fields.CharEnumField(PanelRole, max_length=16)
    officer = fields.ForeignKeyField("models.Officer", related_name="panel_seats", null=True, on_delete=fields.RESTRICT)
    # Members without an officer account vote through a personal link; the link's secret is
    # derived from the server key and this nonce (nothing secret is stored); a new nonce revokes it.
    link_nonce = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appraisal_panel_member"
        unique_together = (("appraisal", "officer"),)


class Vote(Model):
    """A member's 初评 vote on a household. Never updated: a second vote is refused by the unique key."""

    id = fields.UUIDField(primary_key=True)
    appraisal = fields.ForeignKeyField("models.Appraisal", related_name="votes", on_delete=fields.CASCADE)
    member = fields.ForeignKeyField("models.PanelMember", related_name="votes", on_delete=fields.RESTRICT)
    household = fields.ForeignKeyField("models.Household", related_name="appraisal_votes", on_delete=fields.RESTRICT)
    knows_household = fields.BooleanField()
    grade = fields.CharEnumField(Grade, max_length=16, null=True)
    suggested_amount_fen = fields.BigIntField(null=True)
    exclusion_reasons = fields.JSONField(default=list)  # reason codes from the appraisal's rules
    submitted_at = fields.DatetimeField()

    class Meta:
        table = "appraisal_vote"
        unique_together = (("appraisal", "member", "household"),)


class AppraisalOutcome(Model):
    """The aggregate of a household's votes, computed when 初评 closes (and again after its review)."""

    id = fields.UUIDField(primary_key=True)
    appraisal = fields.ForeignKeyField("models.Appraisal", related_name="outcomes", on_delete=fields.CASCADE)
    household = fields.ForeignKeyField("models.Household", related_name="appraisal_outcomes", on_delete=fields.RESTRICT)
    votes = fields.IntField()
    knowing = fields.IntField()
    grade = fields.CharEnumField(Grade, max_length=16, null=True)
    panel_amount_fen = fields.BigIntField(null=True)
    reason_counts = fields.JSONField(default=dict)
    excluded = fields.BooleanField(default=False)
    exclusion_basis = fields.CharField(max_length=16, default="")
    flagged = fields.BooleanField(default=False)
    proposed_amount_fen = fields.BigIntField(default=0)

    class Meta:
        table = "appraisal_outcome"
        unique_together = (("appraisal", "household"),)


class ReviewDecision(Model):
    """复评: the officer's grade and amount for a household, with the scorecard answers."""

    id = fields.UUIDField(primary_key=True)
    appraisal = fields.ForeignKeyField("models.Appraisal", related_name="reviews", on_delete=fields.CASCADE)
    household = fields.ForeignKeyField("models.Household", related_name="appraisal_reviews", on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="appraisal_reviews", null=True, on_delete=fields.SET_NULL)
    grade = fields.CharEnumField(Grade, max_length=16)
    amount_fen = fields.BigIntField()
    exclusion_reasons = fields.JSONField(default=list)
    facts = fields.JSONField(default=dict)  # scorecard answers {factor code: option value}
    model_amount_fen = fields.BigIntField(null=True)  # 基础模型测算额度 from the scorecard
    note = fields.CharField(max_length=256, default="")
    decided_at = fields.DatetimeField()

    class Meta:
        table = "appraisal_review"
        unique_together = (("appraisal", "household"),)


class Approval(Model):
    """支行审定: the pre-credit amount (预授信额度) of a household (0 = 审定不予授信)."""

    id = fields.UUIDField(primary_key=True)
    appraisal = fields.ForeignKeyField("models.Appraisal", related_name="approvals", on_delete=fields.CASCADE)
    household = fields.ForeignKeyField("models.Household", related_name="appraisal_approvals", on_delete=fields.RESTRICT)
    approver = fields.ForeignKeyField("models.Officer", related_name="appraisal_approvals", null=True, on_delete=fields.SET_NULL)
    grade = fields.CharEnumField(Grade, max_length=16)
    pre_credit_amount_fen = fields.BigIntField()
    approved_at = fields.DatetimeField()

    class Meta:
        table = "appraisal_approval"
        unique_together = (("appraisal", "household"),)


class Objection(Model):
    """An objection raised during 公示, recorded by an officer and resolved before the appraisal closes."""

    id = fields.UUIDField(primary_key=True)
    appraisal = fields.ForeignKeyField("models.Appraisal", related_name="objections", on_delete=fields.CASCADE)
    household = fields.ForeignKeyField("models.Household", related_name="appraisal_objections", on_delete=fields.RESTRICT)
    raised_by = fields.CharField(max_length=32)  # the villager's name as given
    content = fields.CharField(max_length=500)
    recorded_by = fields.ForeignKeyField("models.Officer", related_name="objections_recorded", null=True, on_delete=fields.SET_NULL)
    recorded_on = fields.DateField()
    status = fields.CharEnumField(ObjectionStatus, max_length=16, default=ObjectionStatus.OPEN)
    resolution = fields.CharField(max_length=256, default="")
    resolved_by = fields.ForeignKeyField("models.Officer", related_name="objections_resolved", null=True, on_delete=fields.SET_NULL)
    resolved_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "appraisal_objection"
