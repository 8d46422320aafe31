"""Visits (走访/面签) on the PAD and the officers' track points.

A visit is one guided flow for one borrower (a household member): each finished step is saved
on the row (`done_steps`, `skipped_steps`, the step's data in `data`) so a dropped connection
resumes where it stopped (`step`). `data` is read and written typed, as `Visit.file`
(app.domain.visit_file.VisitFile); the column stays JSON. Track points are where the officer's tablet was while a
visit page was open. Coordinates are WGS-84 degrees (measurements, not money: float is fine).
"""

from tortoise import fields
from tortoise.models import Model

from app.domain.visit import VisitStatus
from app.domain.visit_file import VisitFile


class Visit(Model):
    id = fields.UUIDField(primary_key=True)
    household = fields.ForeignKeyField("models.Household", related_name="visits", on_delete=fields.RESTRICT)
    member = fields.ForeignKeyField("models.HouseholdMember", related_name="visits", on_delete=fields.RESTRICT)  # the borrower
    co_member = fields.ForeignKeyField("models.HouseholdMember", related_name="co_visits", null=True, on_delete=fields.RESTRICT)  # the spouse
    customer = fields.ForeignKeyField("models.Customer", related_name="visits", null=True, on_delete=fields.RESTRICT)
    co_borrower = fields.ForeignKeyField("models.Customer", related_name="co_visits", null=True, on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="visits", on_delete=fields.RESTRICT)
    village = fields.ForeignKeyField("models.Village", related_name="visits", on_delete=fields.RESTRICT)
    branch = fields.ForeignKeyField("models.Branch", related_name="visits", on_delete=fields.RESTRICT)
    step = fields.CharField(max_length=24)  # where the flow resumes (app.domain.visit.resume_step)
    status = fields.CharEnumField(VisitStatus, max_length=24, default=VisitStatus.IN_PROGRESS)
    done_steps = fields.JSONField(default=list)
    skipped_steps = fields.JSONField(default=list)
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)  # signed, declined or abandoned
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    accuracy_m = fields.IntField(null=True)
    location_source = fields.CharField(max_length=8, default="device")  # device (browser geolocation) / manual
    distance_m = fields.IntField(null=True)  # from the village centroid at the start (null: the village has none)
    far_from_village = fields.BooleanField(default=False)  # more than settings.visit_max_distance_m: a warning, not a block
    pre_credit_fen = fields.BigIntField(null=True)  # 预授信额度 when the decision was taken
    requested_amount_fen = fields.BigIntField(null=True)
    proposed_amount_fen = fields.BigIntField(null=True)
    risk_decision = fields.ForeignKeyField("models.RiskDecision", related_name="visits", null=True, on_delete=fields.RESTRICT)
    credit_line = fields.ForeignKeyField("models.CreditLine", related_name="visits", null=True, on_delete=fields.RESTRICT)
    contract = fields.ForeignKeyField("models.Contract", related_name="visits", null=True, on_delete=fields.RESTRICT)
    data = fields.JSONField(default=dict)  # per-step data: record ids and outcomes (never an ID number or a phone)
    submitted_at = fields.DatetimeField(null=True)  # sent to an approver
    decided_by = fields.ForeignKeyField("models.Officer", related_name="visits_decided", null=True, on_delete=fields.SET_NULL)
    decided_at = fields.DatetimeField(null=True)
    decline_reason = fields.CharField(max_length=256, default="")
    updated_at = fields.DatetimeField(auto_now=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "visit"

    @property
    def file(self) -> VisitFile:
        """The step data, typed (a snapshot: the services write a changed file back with `data`)."""
        return VisitFile.from_json(self.data)


class TrackPoint(Model):
    id = fields.UUIDField(primary_key=True)
    officer = fields.ForeignKeyField("models.Officer", related_name="track_points", on_delete=fields.CASCADE)
    visit = fields.ForeignKeyField("models.Visit", related_name="track_points", null=True, on_delete=fields.SET_NULL)
    lat = fields.FloatField()
    lng = fields.FloatField()
    accuracy_m = fields.IntField(null=True)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "track_point"
