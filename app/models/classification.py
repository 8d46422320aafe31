"""A loan's classification state beyond its days past due, its class history and upgrade proposals.

`LoanRisk` exists only for loans that have some state: a manual or restructuring floor, an
observation after a non-performing loan repaid its arrears, or non-accrual (非应计) with the
cached off-balance (表外) balances that ledger-check proves against the ledger.
"""

from tortoise import fields
from tortoise.models import Model

from app.domain.classification import FloorKind
from app.domain.vocabulary import LoanClass


class LoanRisk(Model):
    id = fields.UUIDField(primary_key=True)
    loan = fields.OneToOneField("models.Loan", related_name="risk", on_delete=fields.CASCADE)
    floor_class = fields.CharEnumField(LoanClass, max_length=16, null=True)  # 人工认定 / 重组: at least this class
    floor_kind = fields.CharEnumField(FloorKind, max_length=16, null=True)
    floor_reason = fields.CharField(max_length=200, default="")
    floor_set_by = fields.ForeignKeyField("models.Officer", related_name="class_floors", null=True, on_delete=fields.SET_NULL)
    floor_set_on = fields.DateField(null=True)
    observing_since = fields.DateField(null=True)  # a non-performing loan repaid all arrears on this date
    non_accrual_since = fields.DateField(null=True)  # 非应计 from this business date
    off_interest_fen = fields.BigIntField(default=0)  # 表外应收利息: due, unpaid, not recognised
    off_penalty_fen = fields.BigIntField(default=0)  # 表外应收罚息
    off_compound_fen = fields.BigIntField(default=0)  # 表外应收复利
    off_accrued_fen = fields.BigIntField(default=0)  # the loan's share of 表外应计利息 (accrued, not yet due)

    class Meta:
        table = "loan_risk"


class LoanClassChange(Model):
    """Every change of a loan's class: by end-of-day (days past due, floors), an officer's floor or an approved upgrade."""

    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="class_changes", on_delete=fields.CASCADE)
    business_on = fields.DateField(db_index=True)
    from_class = fields.CharEnumField(LoanClass, max_length=16)
    to_class = fields.CharEnumField(LoanClass, max_length=16)
    days_past_due = fields.IntField(default=0)
    source = fields.CharField(max_length=16)  # eod, floor, upgrade, repayment
    reason = fields.CharField(max_length=200, default="")
    officer = fields.ForeignKeyField("models.Officer", related_name="class_changes", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loan_class_change"


class ClassUpgradeProposal(Model):
    """Raised by end-of-day when a non-performing loan's observation has run its course. An approver decides."""

    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="upgrade_proposals", on_delete=fields.CASCADE)
    raised_on = fields.DateField()
    from_class = fields.CharEnumField(LoanClass, max_length=16)
    proposed_class = fields.CharEnumField(LoanClass, max_length=16)  # the best the floors allow
    observed_from = fields.DateField()
    status = fields.CharField(max_length=16, default="pending")  # pending, approved, rejected
    decided_class = fields.CharEnumField(LoanClass, max_length=16, null=True)
    decided_by = fields.ForeignKeyField("models.Officer", related_name="upgrade_decisions", null=True, on_delete=fields.SET_NULL)
    decided_on = fields.DateField(null=True)
    note = fields.CharField(max_length=200, default="")

    class Meta:
        table = "class_upgrade_proposal"
