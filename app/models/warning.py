"""Early warnings (贷后预警) and how officers handled them.

The model is `EarlyWarning` (a class named `Warning` would shadow Python's builtin).
One warning per (kind, subject, business date): `subject_id` is the loan for loan
warnings and the customer for customer warnings. It is a non-null column on purpose:
a unique index treats NULLs as distinct, so (kind, loan_id, business_on) with a null
loan would not stop a duplicate customer warning.
"""

from tortoise import fields
from tortoise.models import Model

from app.domain.warnings import Severity, WarningActionKind, WarningKind, WarningStatus


class EarlyWarning(Model):
    id = fields.UUIDField(primary_key=True)
    kind = fields.CharEnumField(WarningKind, max_length=32)
    severity = fields.CharEnumField(Severity, max_length=8)
    level = fields.IntField(default=0)  # rising DPD: the threshold crossed (30/60/90); other kinds: the count
    customer = fields.ForeignKeyField("models.Customer", related_name="warnings", on_delete=fields.RESTRICT)
    loan = fields.ForeignKeyField("models.Loan", related_name="warnings", null=True, on_delete=fields.RESTRICT)
    subject_id = fields.UUIDField()  # the loan id, or the customer id for customer-level warnings
    branch = fields.ForeignKeyField("models.Branch", related_name="warnings", on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="warnings_assigned", null=True, on_delete=fields.SET_NULL)
    business_on = fields.DateField(db_index=True)
    message = fields.CharField(max_length=256)
    evidence = fields.JSONField()
    status = fields.CharEnumField(WarningStatus, max_length=16, default=WarningStatus.OPEN, db_index=True)
    handled_at = fields.DatetimeField(null=True)
    handled_by = fields.ForeignKeyField("models.Officer", related_name="warnings_handled", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)
    # when the warning last changed: raised, then handled or dismissed; incremental sync (issue 16)
    updated_at = fields.DatetimeField(auto_now=True, null=True)  # nullable only so migration 0036 could add it to filled tables (it backfills)

    class Meta:
        table = "early_warning"
        unique_together = (("kind", "subject_id", "business_on"),)


class WarningAction(Model):
    """One handling record: who did what about a warning, when, with a note."""

    id = fields.UUIDField(primary_key=True)
    warning = fields.ForeignKeyField("models.EarlyWarning", related_name="actions", on_delete=fields.CASCADE)
    officer = fields.ForeignKeyField("models.Officer", related_name="warning_actions", null=True, on_delete=fields.SET_NULL)
    action = fields.CharEnumField(WarningActionKind, max_length=16)
    note = fields.CharField(max_length=500)
    at = fields.DatetimeField()

    class Meta:
        table = "warning_action"
