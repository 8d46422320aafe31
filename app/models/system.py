"""Audit trail and the bank's business date."""

from tortoise import fields
from tortoise.models import Model

from app.models.enums import ActorType


class AuditEvent(Model):
    id = fields.UUIDField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor_type = fields.CharEnumField(ActorType, max_length=16)
    actor_id = fields.CharField(max_length=64, null=True)
    action = fields.CharField(max_length=64)
    entity_type = fields.CharField(max_length=32)
    entity_id = fields.CharField(max_length=64, null=True)
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)
    request_id = fields.CharField(max_length=64, default="")
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "audit_event"


class BusinessCalendar(Model):
    """One row (id=1): the bank's current business date (会计日期), moved only by end-of-day."""

    id = fields.IntField(primary_key=True)
    current_on = fields.DateField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "business_calendar"


class EodRun(Model):
    """End-of-day for one business date: each finished step is recorded in the step's own transaction."""

    id = fields.UUIDField(primary_key=True)
    business_on = fields.DateField(unique=True)
    steps_done = fields.JSONField(default=list)
    finished_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "eod_run"
