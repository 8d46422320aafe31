"""Daily loan positions (日终贷款头寸) and their month-end snapshots (月末快照), written by the day's close.

`LoanPosition` holds one row per loan per business date, kept for `positions_retention_days`
(older rows are pruned by the close). `LoanPositionMonthEnd` is a copy of the positions of the
last business date of each month, kept for good: NPL and portfolio history read it.
"""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import LoanClass, LoanStatus


class _PositionFields(Model):
    # plain ids, no foreign keys: rows are written set-based by the close and never joined back for writes
    id = fields.UUIDField(primary_key=True)
    business_on = fields.DateField()
    loan_id = fields.UUIDField()
    bank_id = fields.UUIDField()
    branch_id = fields.UUIDField()
    customer_id = fields.UUIDField()
    product_id = fields.UUIDField()
    status = fields.CharEnumField(LoanStatus, max_length=16)
    classification = fields.CharEnumField(LoanClass, max_length=16)
    days_past_due = fields.IntField()
    annual_rate_ppm = fields.IntField()
    outstanding_principal_fen = fields.BigIntField()  # 贷款余额
    overdue_principal_fen = fields.BigIntField()  # 逾期本金
    overdue_interest_fen = fields.BigIntField()  # 逾期利息 (due, unpaid: on- and off-balance)
    accrued_interest_fen = fields.BigIntField()  # 应计利息, current period, not yet due (on- and off-balance)
    penalty_fen = fields.BigIntField()  # 罚息 owed
    compound_fen = fields.BigIntField()  # 复利 owed
    non_accrual = fields.BooleanField()  # 非应计
    off_interest_fen = fields.BigIntField()  # 表外应收利息
    off_penalty_fen = fields.BigIntField()  # 表外应收罚息
    off_compound_fen = fields.BigIntField()  # 表外应收复利
    off_accrued_fen = fields.BigIntField()  # 表外应计利息

    class Meta:
        abstract = True


class LoanPosition(_PositionFields):
    """One loan at the end of one business date (kept for the retention setting)."""

    class Meta:
        table = "loan_position"
        unique_together = (("business_on", "loan_id"),)
        indexes = (("bank_id", "business_on"),)


class LoanPositionMonthEnd(_PositionFields):
    """The positions of a month's last business date, kept for good."""

    class Meta:
        table = "loan_position_month_end"
        unique_together = (("business_on", "loan_id"),)
        indexes = (("bank_id", "business_on"),)
