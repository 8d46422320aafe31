"""Audit trail and the bank's business date."""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import ActorType


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
    """The day's close for one business date: lending steps, then the later stages, under one lease.

    Each finished lending step is recorded in the step's own transaction (`steps_done`),
    each later stage of the close when it has run (`stages_done`). `owner` and
    `heartbeat_at` are the lease (docs/operations-eod.md): whoever runs a part of this
    date's close holds it, renews it, and releases it at the end.
    """

    id = fields.UUIDField(primary_key=True)
    business_on = fields.DateField(unique=True)
    steps_done = fields.JSONField(default=list)
    stages_done = fields.JSONField(default=list, db_default=[])
    finished_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(auto_now_add=True)
    owner = fields.CharField(max_length=128, null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    # the classification policy the close classified with (`ClassificationPolicy.to_json`); a value-dated reversal replays the
    # day with it (None: a close before it was kept, replayed with the default policy)
    classification_policy = fields.JSONField(null=True)

    class Meta:
        table = "eod_run"
