"""Borrowers in the mobile app: sign-in codes, bound devices, refresh tokens, card look-ups, loan applications.

Nothing secret is stored in the clear: codes and tokens are kept as keyed or
plain SHA-256 hashes, phones and device ids only as hashes.
"""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import ApplicationStatus


class LoginCode(Model):
    """One SMS sign-in code asked for a phone (also for phones of no customer: rate limits count them)."""

    id = fields.UUIDField(primary_key=True)
    phone_hash = fields.CharField(max_length=64, db_index=True)
    code_hash = fields.CharField(max_length=64)
    customer = fields.ForeignKeyField("models.Customer", related_name="login_codes", null=True, on_delete=fields.CASCADE)
    requested_at = fields.DatetimeField(db_index=True)
    requested_ip = fields.CharField(max_length=64, default="", db_index=True)
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)  # wrong codes entered; locked at the configured maximum
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "login_code"


class CustomerDevice(Model):
    """A phone the customer signed in on (the app's install id, hashed), revoked by sign-out everywhere."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="devices", on_delete=fields.CASCADE)
    device_hash = fields.CharField(max_length=64)
    label = fields.CharField(max_length=64, default="")
    bound_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "customer_device"
        unique_together = (("customer", "device_hash"),)


class CardBindingStatus(StrEnum):
    PENDING = "pending"  # the core confirmed the holder; the SMS code was sent to the reserved phone
    BOUND = "bound"
    LOCKED = "locked"  # too many wrong codes


class CardBinding(Model):
    """A card binding waiting for the SMS code sent to the phone reserved at the bank (预留手机号).

    The card number is kept encrypted, the reserved phone only as a hash and masked, the code as a keyed hash.
    """

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="card_bindings", on_delete=fields.CASCADE)
    card_number_enc = fields.BinaryField()
    card_number_hash = fields.CharField(max_length=64, db_index=True)
    card_number_masked = fields.CharField(max_length=24)
    phone_hash = fields.CharField(max_length=64)
    phone_masked = fields.CharField(max_length=11)
    code_hash = fields.CharField(max_length=64)
    bank_code = fields.CharField(max_length=16, default="", db_default="")  # the opening bank's institution code (开户行机构编码)
    bank_name = fields.CharField(max_length=64)
    branch_name = fields.CharField(max_length=64, default="")
    is_own_bank = fields.BooleanField()  # the opening bank is an active member bank of the platform
    status = fields.CharEnumField(CardBindingStatus, max_length=16, default=CardBindingStatus.PENDING)
    attempts = fields.IntField(default=0)
    requested_at = fields.DatetimeField(db_index=True)
    expires_at = fields.DatetimeField()
    bound_at = fields.DatetimeField(null=True)
    card = fields.ForeignKeyField("models.BankCard", related_name="bindings", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "card_binding"


class RefreshToken(Model):
    """One refresh token of a rotation family: each use replaces it, a second use revokes the family."""

    id = fields.UUIDField(primary_key=True)
    family_id = fields.UUIDField(db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="refresh_tokens", on_delete=fields.CASCADE)
    device = fields.ForeignKeyField("models.CustomerDevice", related_name="refresh_tokens", on_delete=fields.CASCADE)
    issued_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_token"


class CardLookup(Model):
    """What core banking said about a bound card: the bank and branch that opened the account.

    `bank` is the member bank whose institution code the core returned (null: not a member bank)."""

    id = fields.UUIDField(primary_key=True)
    card = fields.OneToOneField("models.BankCard", related_name="lookup", on_delete=fields.CASCADE)
    bank_code = fields.CharField(max_length=16, default="", db_default="")  # the opening bank's institution code (开户行机构编码)
    bank = fields.ForeignKeyField("models.Bank", related_name="card_lookups", null=True, on_delete=fields.RESTRICT)
    bank_name = fields.CharField(max_length=64)
    branch_name = fields.CharField(max_length=64, default="")
    is_own_bank = fields.BooleanField()  # bank is an active member bank of the platform
    looked_up_at = fields.DatetimeField()

    class Meta:
        table = "card_lookup"


class LoanApplication(Model):
    """A drawdown asked for in the app: credit check, amount decided, confirmed by code, disbursed."""

    id = fields.UUIDField(primary_key=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="loan_applications", on_delete=fields.RESTRICT)
    credit_line = fields.ForeignKeyField("models.CreditLine", related_name="applications", on_delete=fields.RESTRICT)
    idempotency_key = fields.UUIDField()
    requested_fen = fields.BigIntField()
    approved_fen = fields.BigIntField(default=0)
    term_months = fields.IntField()
    method = fields.CharField(max_length=24)
    status = fields.CharEnumField(ApplicationStatus, max_length=16)
    risk_decision = fields.ForeignKeyField("models.RiskDecision", related_name="applications", null=True, on_delete=fields.RESTRICT)
    strategy_decision = fields.ForeignKeyField("models.RiskStrategyDecision", related_name="applications", null=True, on_delete=fields.RESTRICT)
    message = fields.TextField(default="")
    code_hash = fields.CharField(max_length=64, default="")
    code_expires_at = fields.DatetimeField(null=True)
    code_attempts = fields.IntField(default=0)
    loan = fields.ForeignKeyField("models.Loan", related_name="applications", null=True, on_delete=fields.RESTRICT)
    applied_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    # the quote the first answer gave (approved applications): every answer about the application is rebuilt from these
    annual_rate_ppm = fields.IntField(null=True)
    quoted_on = fields.DateField(null=True)  # the business date the schedule was quoted for

    class Meta:
        table = "loan_application"
        unique_together = (("customer", "idempotency_key"),)
