"""Collections (催收): one open task per overdue loan, and the actions officers record on it.

At most one open task per loan: `open_loan_id` holds the loan id while the task is
open and NULL once closed, under a unique index (NULLs are distinct, so any number
of closed tasks may exist for a loan). A task opened by a post-loan check (`source`
post_loan_check) may concern a loan that is not overdue: the daily run closes it only when
the loan is settled or written off.
"""

from tortoise import fields
from tortoise.models import Model

from app.domain.vocabulary import CloseReason, CollectionActionKind, CollectionStatus


class CollectionTask(Model):
    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="collection_tasks", on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField("models.Customer", related_name="collection_tasks", on_delete=fields.RESTRICT)
    branch = fields.ForeignKeyField("models.Branch", related_name="collection_tasks", on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="collection_tasks", null=True, on_delete=fields.SET_NULL)
    open_loan_id = fields.UUIDField(null=True, unique=True)  # = loan_id while open, NULL when closed
    status = fields.CharEnumField(CollectionStatus, max_length=16, default=CollectionStatus.OPEN, db_index=True)
    opened_on = fields.DateField(db_index=True)
    opened_dpd = fields.IntField(default=0)  # days past due when the task was opened
    closed_on = fields.DateField(null=True)
    close_reason = fields.CharEnumField(CloseReason, max_length=16, null=True)
    next_action_on = fields.DateField(null=True)
    # a guarantor's task (联保): the guarantee it calls on; `customer` is then the guarantor, `loan` the member's overdue loan,
    # `open_loan_id` stays NULL and `open_guarantee_key` ("<guarantee id>:<loan id>" while open) keeps one open task per pair
    guarantee = fields.ForeignKeyField("models.GuaranteeMember", related_name="collection_tasks", null=True, on_delete=fields.RESTRICT)
    open_guarantee_key = fields.CharField(max_length=80, null=True, unique=True)
    source = fields.CharField(max_length=16, default="eod", db_default="eod")  # eod: the daily run (closed when cured) | post_loan_check: a check's 建议催收
    created_at = fields.DatetimeField(auto_now_add=True)
    # when the task last changed: opened, an action recorded (count, last action, next date), closed; incremental sync (issue 16)
    updated_at = fields.DatetimeField(auto_now=True, null=True)  # nullable only so migration 0036 could add it to filled tables (it backfills)

    class Meta:
        table = "collection_task"


class CollectionAction(Model):
    id = fields.UUIDField(primary_key=True)
    task = fields.ForeignKeyField("models.CollectionTask", related_name="actions", on_delete=fields.CASCADE)
    officer = fields.ForeignKeyField("models.Officer", related_name="collection_actions", null=True, on_delete=fields.SET_NULL)
    kind = fields.CharEnumField(CollectionActionKind, max_length=16)
    outcome = fields.CharField(max_length=500)
    promised_amount_fen = fields.BigIntField(null=True)
    promised_on = fields.DateField(null=True)
    at = fields.DatetimeField()

    class Meta:
        table = "collection_action"
