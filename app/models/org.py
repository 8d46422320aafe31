"""The platform, its member banks, their branches, officers and sessions."""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import BankKind, BranchLevel, Role


class Bank(Model):
    """A member bank (法人行) of the platform: its own branch tree, products, customers and books."""

    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)  # institution code the core returns for a card
    name = fields.CharField(max_length=64)  # 短名, e.g. 襄汾农商行
    legal_name = fields.CharField(max_length=128)  # 全称, on contracts
    kind = fields.CharEnumField(BankKind, max_length=24)
    address = fields.CharField(max_length=256, default="")
    legal_representative = fields.CharField(max_length=32, default="")
    contract_prefix = fields.CharField(max_length=16, unique=True)  # first part of its contract numbers
    # the bank's HEAD branch. A plain column, not a relation: branch.bank_id points here, and tortoise cannot
    # create two tables that point at each other (app.services.org.create_bank keeps it right)
    head_branch_id = fields.UUIDField(unique=True)
    seal_cert_path = fields.CharField(max_length=256, null=True)  # null: the installation's signing kit
    seal_key_path = fields.CharField(max_length=256, null=True)
    # the bank's credit authority (授信权限) by role, {"officer_fen", "approver_fen", "branch_manager_fen"};
    # null: the platform's (CUNXIN_VISIT_AUTHORITY_*). app.services.org.authority_of_bank reads it.
    authority = fields.JSONField(null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bank"


class Branch(Model):
    id = fields.UUIDField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=64)
    level = fields.CharEnumField(BranchLevel, max_length=16)
    parent = fields.ForeignKeyField("models.Branch", related_name="children", null=True, on_delete=fields.RESTRICT)
    # the member bank whose tree this branch is in (null only for the platform node)
    bank = fields.ForeignKeyField("models.Bank", related_name="branches", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "branch"


class Officer(Model):
    id = fields.UUIDField(primary_key=True)
    username = fields.CharField(max_length=32, unique=True)
    display_name = fields.CharField(max_length=32)
    password_hash = fields.CharField(max_length=128)
    role = fields.CharEnumField(Role, max_length=16)
    branch = fields.ForeignKeyField("models.Branch", related_name="officers", on_delete=fields.RESTRICT)
    is_active = fields.BooleanField(default=True)
    # 128-d face embeddings (AES-GCM, one blob holding all enrolment captures); set by the face issue.
    face_embeddings_enc = fields.BinaryField(null=True)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "officer"


class LoginIpThrottle(Model):
    """Failed officer sign-ins per client address (app/services/login_throttle.py)."""

    ip = fields.CharField(max_length=64, primary_key=True)
    failures = fields.IntField(default=0)
    next_at = fields.DatetimeField(null=True)  # no attempt from this address is checked before this time
    updated_at = fields.DatetimeField()

    class Meta:
        table = "login_ip_throttle"


class OfficerSession(Model):
    id = fields.UUIDField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    officer = fields.ForeignKeyField("models.Officer", related_name="sessions", on_delete=fields.CASCADE)
    csrf_token = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    face_verified_at = fields.DatetimeField(null=True)
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=256, default="")

    class Meta:
        table = "officer_session"
