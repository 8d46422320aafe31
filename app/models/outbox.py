"""The outbox: messages to outside systems written in the same transaction as the change they report."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import OutboxKind


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt at `next_attempt_at`
    RUNNING = "running"  # an attempt in flight since `started_at` (claimed by one worker)
    SENT = "sent"
    DEAD = "dead"  # gave up: retries exhausted or refused for good; an admin may resend


class OutboxMessage(Model):
    id = fields.UUIDField(primary_key=True)
    kind = fields.CharEnumField(OutboxKind, max_length=24)
    key = fields.CharField(max_length=96, unique=True)  # one message per business event ("line_granted:<id>")
    payload = fields.JSONField()  # never a plaintext ID number: masked or hashed only
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    last_error = fields.CharField(max_length=256, null=True)
    remote_ref = fields.CharField(max_length=64, null=True)  # the provincial system's receipt
    started_at = fields.DatetimeField(null=True)  # the current (or last) attempt's start
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox_message"
