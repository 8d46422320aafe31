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
    floor_until = fields.DateField(null=True)  # 重组: the observation's end; from then end-of-day proposes lifting the floor
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


class LoanWriteOff(Model):
    """A written-off loan's off-balance record (账销案存): what was written off and what has been recovered since.

    The ledger holds the same figures per loan (written_off_principal, written_off_interest), and ledger-check proves it.
    """

    id = fields.UUIDField(primary_key=True)
    loan = fields.OneToOneField("models.Loan", related_name="write_off", on_delete=fields.RESTRICT)
    bank = fields.ForeignKeyField("models.Bank", related_name="write_offs", on_delete=fields.RESTRICT)
    written_off_on = fields.DateField(db_index=True)
    class_at_write_off = fields.CharEnumField(LoanClass, max_length=16)
    days_past_due = fields.IntField(default=0)
    principal_fen = fields.BigIntField()  # principal written off
    interest_fen = fields.BigIntField()  # interest, penalty and compound written off (on- and off-balance, accrued included)
    recovered_principal_fen = fields.BigIntField(default=0)
    recovered_interest_fen = fields.BigIntField(default=0)
    command = fields.ForeignKeyField("models.PendingCommand", related_name="write_offs", null=True, on_delete=fields.RESTRICT)
    maker = fields.ForeignKeyField("models.Officer", related_name="write_offs_made", null=True, on_delete=fields.SET_NULL)
    checker = fields.ForeignKeyField("models.Officer", related_name="write_offs_checked", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loan_write_off"


class WriteOffRecovery(Model):
    """Money recovered on a written-off loan (核销后收回)."""

    id = fields.UUIDField(primary_key=True)
    write_off = fields.ForeignKeyField("models.LoanWriteOff", related_name="recoveries", on_delete=fields.RESTRICT)
    business_on = fields.DateField(db_index=True)
    amount_fen = fields.BigIntField()
    principal_fen = fields.BigIntField()
    interest_fen = fields.BigIntField()
    reference = fields.CharField(max_length=64, unique=True)  # the core movement's reference
    officer = fields.ForeignKeyField("models.Officer", related_name="recoveries", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "write_off_recovery"


class AllowanceProvision(Model):
    """One bank's monthly provision: the required allowance by class and what was posted."""

    id = fields.UUIDField(primary_key=True)
    bank = fields.ForeignKeyField("models.Bank", related_name="provisions", on_delete=fields.RESTRICT)
    month = fields.CharField(max_length=7)  # 2026-11
    business_on = fields.DateField()
    balances = fields.JSONField()  # class -> balance fen
    rates_ppm = fields.JSONField()  # class -> rate
    required_fen = fields.BigIntField()
    booked_before_fen = fields.BigIntField()
    posted_fen = fields.BigIntField()  # required − booked before (negative: released)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "allowance_provision"
        unique_together = (("bank", "month"),)
