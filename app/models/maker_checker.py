"""Maker-checker (双人复核): a request that waits for a second officer (app/services/maker_checker)."""

from tortoise import fields
from tortoise.models import Model

from app.domain.maker_checker import CommandKind, CommandStatus


class PendingCommand(Model):
    """An operation the maker asked for, kept whatever its outcome (approved, rejected, expired, failed are never deleted).

    `preview` is the effect the maker saw, `check_preview` the effect computed when the checker decided (they differ when
    an end-of-day ran in between), `result` what the execution returned, `error` why it failed (nothing was changed then).
    """

    id = fields.UUIDField(primary_key=True)
    kind = fields.CharEnumField(CommandKind, max_length=24, db_index=True)
    params = fields.JSONField()
    # the member bank whose command it is; null: a platform command (platform staff's, e.g. the platform default rule set),
    # seen and checked by platform staff only
    bank = fields.ForeignKeyField("models.Bank", related_name="pending_commands", null=True, on_delete=fields.RESTRICT)
    branch = fields.ForeignKeyField("models.Branch", related_name="pending_commands", on_delete=fields.RESTRICT)
    amount_fen = fields.BigIntField(null=True)  # the amount the approval authority is judged by (the loan's balance, the booking's…)
    head_office = fields.BooleanField(default=False, db_default=False)  # above the branch's authority: the bank's head office checks
    subject = fields.CharField(max_length=128, default="")  # what it is about, for lists (借据号, 名单…): no personal identifiers
    status = fields.CharEnumField(CommandStatus, max_length=16, default=CommandStatus.PENDING, db_index=True)
    maker = fields.ForeignKeyField("models.Officer", related_name="commands_made", on_delete=fields.RESTRICT)
    reason = fields.CharField(max_length=200, default="")  # the maker's reason
    preview = fields.JSONField()
    made_on = fields.DateField()  # the business date the maker saw
    checker = fields.ForeignKeyField("models.Officer", related_name="commands_checked", null=True, on_delete=fields.RESTRICT)
    check_note = fields.CharField(max_length=200, default="")
    check_preview = fields.JSONField(null=True)
    checked_on = fields.DateField(null=True)
    result = fields.JSONField(null=True)
    error = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "pending_command"
