"""Credit lines (授信额度), loans (借据) and their installments."""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import CoreOutcome, CreditLineStatus, ExtensionApplicationStatus, InstallmentStatus, LoanClass, LoanStatus, LprTenor, RepaymentMethod


class CreditLine(Model):
    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="credit_lines", on_delete=fields.RESTRICT)
    product = fields.ForeignKeyField("models.Product", related_name="credit_lines", on_delete=fields.RESTRICT)
    branch = fields.ForeignKeyField("models.Branch", related_name="credit_lines", on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="credit_lines", null=True, on_delete=fields.SET_NULL)
    limit_fen = fields.BigIntField()
    used_fen = fields.BigIntField(default=0)
    valid_from = fields.DateField()
    valid_until = fields.DateField()
    status = fields.CharEnumField(CreditLineStatus, max_length=16, default=CreditLineStatus.ACTIVE)
    allowed_methods = fields.JSONField()
    max_term_months = fields.IntField()
    spread_bp = fields.IntField()
    granted_at = fields.DatetimeField(null=True)
    granted_by = fields.ForeignKeyField("models.Officer", related_name="granted_lines", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    # changes on business events (a transaction, a status, a class, a limit), never on the daily accrual: docs/reporting.md
    updated_at = fields.DatetimeField(auto_now=True, null=True)  # nullable only so migration 0028 could add it to filled tables (it backfills)

    class Meta:
        table = "credit_line"


class Loan(Model):
    id = fields.UUIDField(primary_key=True)
    credit_line = fields.ForeignKeyField("models.CreditLine", related_name="loans", on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField("models.Customer", related_name="loans", on_delete=fields.RESTRICT)
    product = fields.ForeignKeyField("models.Product", related_name="loans", on_delete=fields.RESTRICT)
    branch = fields.ForeignKeyField("models.Branch", related_name="loans", on_delete=fields.RESTRICT)
    card = fields.ForeignKeyField("models.BankCard", related_name="loans", null=True, on_delete=fields.SET_NULL)
    principal_fen = fields.BigIntField()
    annual_rate_ppm = fields.IntField()
    lpr_tenor = fields.CharEnumField(LprTenor, max_length=4)
    spread_bp = fields.IntField()
    method = fields.CharEnumField(RepaymentMethod, max_length=24)
    term_months = fields.IntField()
    start_on = fields.DateField()
    first_due_on = fields.DateField()
    maturity_on = fields.DateField()
    next_repricing_on = fields.DateField(null=True)
    status = fields.CharEnumField(LoanStatus, max_length=16, default=LoanStatus.ACTIVE)
    # Balances are derived from the ledger; these cached copies are checked against it.
    outstanding_principal_fen = fields.BigIntField()
    overdue_principal_fen = fields.BigIntField(default=0, db_default=0)
    overdue_interest_fen = fields.BigIntField(default=0, db_default=0)
    accrued_interest_fen = fields.BigIntField(default=0)  # accrued in the current period, not yet due
    penalty_fen = fields.BigIntField(default=0)
    compound_fen = fields.BigIntField(default=0)
    # 积数 not yet posted (docs/lending.md): Σ(balance × rate × days) − denominator × posted, per component.
    # interest: fen × ppm × days of the current period (denominator 360,000,000);
    # penalty / compound: fen × ppb × days over the loan's life (denominator 360,000,000,000).
    interest_carry = fields.BigIntField(default=0, db_default=0)
    penalty_carry = fields.BigIntField(default=0, db_default=0)
    compound_carry = fields.BigIntField(default=0, db_default=0)
    days_past_due = fields.IntField(default=0)
    classification = fields.CharEnumField(LoanClass, max_length=16, default=LoanClass.NORMAL)
    settled_on = fields.DateField(null=True)
    disbursement_ref = fields.CharField(max_length=64, default="", db_default="")
    # a migrated loan's interest, penalty and compound paid in the old system before the migration (已收利息): reported as
    # interest received (customer contribution), never booked — that income is the old system's (docs/import.md)
    legacy_interest_paid_fen = fields.BigIntField(default=0, db_default=0)
    # "debit in flight" marker: the reference of an auto-debit sent to the core and not yet booked;
    # a manual repayment or prepayment is refused while it is set
    debit_in_flight = fields.CharField(max_length=80, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # changes on business events (a transaction, a status, a class, a limit), never on the daily accrual: docs/reporting.md
    updated_at = fields.DatetimeField(auto_now=True, null=True)  # nullable only so migration 0028 could add it to filled tables (it backfills)

    class Meta:
        table = "loan"


class DebitAttempt(Model):
    """One auto-debit try at end-of-day (early warnings count repeated failures)."""

    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="debit_attempts", on_delete=fields.CASCADE)
    business_on = fields.DateField(db_index=True)
    amount_fen = fields.BigIntField()
    ok = fields.BooleanField()
    reason = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "debit_attempt"
        unique_together = (("loan", "business_on"),)


class CoreInstruction(Model):
    """One money instruction sent to core banking (放款 / 扣款 / 退款) and what it came to.

    Written before the call when the caller is outside a transaction (auto-debit, refunds), and
    with the booking otherwise. An instruction whose answer was unknown stays `pending` (处理中)
    until `status` settles it (app/services/lending/core_outcomes.py).
    """

    id = fields.UUIDField(primary_key=True)
    reference = fields.CharField(max_length=80, unique=True)
    kind = fields.CharField(max_length=16)  # disburse / debit / refund
    purpose = fields.CharField(max_length=16)  # drawdown / repayment / prepayment / auto_debit / refund
    loan = fields.ForeignKeyField("models.Loan", related_name="core_instructions", null=True, on_delete=fields.RESTRICT)
    amount_fen = fields.BigIntField()
    business_on = fields.DateField(db_index=True)
    outcome = fields.CharEnumField(CoreOutcome, max_length=16, default=CoreOutcome.PENDING, db_index=True)
    core_ref = fields.CharField(max_length=64, default="")
    reason = fields.CharField(max_length=128, default="")
    payload = fields.JSONField(default=dict)  # what booking needs (e.g. the request of a repayment)
    created_at = fields.DatetimeField(auto_now_add=True)
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "core_instruction"


class Installment(Model):
    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="installments", on_delete=fields.CASCADE)
    number = fields.IntField()
    due_on = fields.DateField(db_index=True)
    principal_fen = fields.BigIntField()
    interest_fen = fields.BigIntField()
    penalty_fen = fields.BigIntField(default=0)
    compound_fen = fields.BigIntField(default=0)
    paid_principal_fen = fields.BigIntField(default=0)
    paid_interest_fen = fields.BigIntField(default=0)
    paid_penalty_fen = fields.BigIntField(default=0)
    paid_compound_fen = fields.BigIntField(default=0)
    status = fields.CharEnumField(InstallmentStatus, max_length=16, default=InstallmentStatus.PENDING)
    paid_on = fields.DateField(null=True)
    # changes on business events (a transaction, a status, a class, a limit), never on the daily accrual: docs/reporting.md
    updated_at = fields.DatetimeField(auto_now=True, null=True)  # nullable only so migration 0028 could add it to filled tables (it backfills)

    class Meta:
        table = "installment"
        unique_together = (("loan", "number"),)


class LoanExtension(Model):
    """One extension (展期) of a loan, approved through maker-checker: the loan is flagged as extended by having one."""

    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="extensions", on_delete=fields.RESTRICT)
    business_on = fields.DateField()
    months = fields.IntField()
    original_term_months = fields.IntField()  # the term before any extension (the limits' base)
    old_maturity_on = fields.DateField()
    new_maturity_on = fields.DateField()
    old_rate_ppm = fields.IntField()
    new_rate_ppm = fields.IntField()
    old_tenor = fields.CharField(max_length=4)
    new_tenor = fields.CharField(max_length=4)
    balance_fen = fields.BigIntField()  # principal outstanding when extended
    restructured = fields.BooleanField(default=False)  # the borrower is in financial difficulty: 重组 floor and observation
    command = fields.ForeignKeyField("models.PendingCommand", related_name="extensions", null=True, on_delete=fields.SET_NULL)
    maker = fields.ForeignKeyField("models.Officer", related_name="extensions_made", null=True, on_delete=fields.SET_NULL)
    checker = fields.ForeignKeyField("models.Officer", related_name="extensions_checked", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loan_extension"


class ExtensionApplication(Model):
    """A borrower's application for an extension (展期) made in the app: the officer proposes it (`propose_extension`)."""

    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="extension_applications", on_delete=fields.RESTRICT)
    months = fields.IntField()
    reason = fields.CharField(max_length=256)
    applied_on = fields.DateField()  # the business date
    status = fields.CharEnumField(ExtensionApplicationStatus, max_length=16, default=ExtensionApplicationStatus.PENDING)
    command = fields.ForeignKeyField("models.PendingCommand", related_name="extension_applications", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_on = fields.DateField(null=True)  # declined or expired on (the business date)
    decline_reason = fields.CharField(max_length=200, null=True)  # the officer's reason, shown to the borrower
    declined_by = fields.ForeignKeyField("models.Officer", related_name="extension_applications_declined", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "extension_application"


class LoanRenewal(Model):
    """One renewal without repaying principal (无还本续贷, 借新还旧): the new loan repaid the old loan's principal, no cash.

    Links both ways: `old_loan.renewed_by` and `new_loan.renewal_of`. Unique per old loan (a loan is renewed once)."""

    id = fields.UUIDField(primary_key=True)
    old_loan = fields.OneToOneField("models.Loan", related_name="renewed_by", on_delete=fields.RESTRICT)
    new_loan = fields.OneToOneField("models.Loan", related_name="renewal_of", on_delete=fields.RESTRICT)
    business_on = fields.DateField()
    principal_fen = fields.BigIntField()  # the old loan's principal repaid = the new loan's principal
    term_months = fields.IntField()  # the new loan's term
    old_maturity_on = fields.DateField()
    new_maturity_on = fields.DateField()
    new_rate_ppm = fields.IntField()
    command = fields.ForeignKeyField("models.PendingCommand", related_name="renewals", null=True, on_delete=fields.SET_NULL)
    maker = fields.ForeignKeyField("models.Officer", related_name="renewals_made", null=True, on_delete=fields.SET_NULL)
    checker = fields.ForeignKeyField("models.Officer", related_name="renewals_checked", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "loan_renewal"
