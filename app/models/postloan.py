"""Post-loan checks (贷后检查): one task per (loan, reason, due date), done by the officer, reviewed by the branch manager.

`answers` holds the officer's form as the domain records it (app/domain/postloan.py `CheckAnswers.as_record`);
`photo_ids` the e-archive documents of the photos; `record_document` the confirmed record (JSON) in the e-archive;
`effects` what the confirmed conclusion produced (warning, floor, collection task ids).
"""

from tortoise import fields
from tortoise.models import Model

from app.domain.classification import LoanClass
from app.domain.postloan import CheckReason, CheckStatus, Conclusion


class PostLoanCheck(Model):
    id = fields.UUIDField(primary_key=True)
    loan = fields.ForeignKeyField("models.Loan", related_name="post_loan_checks", on_delete=fields.RESTRICT)
    customer = fields.ForeignKeyField("models.Customer", related_name="post_loan_checks", on_delete=fields.RESTRICT)
    branch = fields.ForeignKeyField("models.Branch", related_name="post_loan_checks", on_delete=fields.RESTRICT)
    officer = fields.ForeignKeyField("models.Officer", related_name="post_loan_checks", null=True, on_delete=fields.SET_NULL)
    reason = fields.CharEnumField(CheckReason, max_length=16)
    due_on = fields.DateField(db_index=True)
    raised_on = fields.DateField()  # the business date whose close raised it
    warning = fields.ForeignKeyField("models.EarlyWarning", related_name="post_loan_checks", null=True, on_delete=fields.SET_NULL)
    status = fields.CharEnumField(CheckStatus, max_length=16, default=CheckStatus.DUE, db_index=True)
    # the officer's record
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    accuracy_m = fields.IntField(null=True)
    location_source = fields.CharField(max_length=8, default="")  # device | manual
    distance_m = fields.IntField(null=True)  # from the village centroid, when the village has one
    photo_ids = fields.JSONField(default=list)
    answers = fields.JSONField(null=True)
    conclusion = fields.CharEnumField(Conclusion, max_length=16, null=True)
    proposed_class = fields.CharEnumField(LoanClass, max_length=16, null=True)
    checked_on = fields.DateField(null=True)  # business date of the (last) submission
    submitted_at = fields.DatetimeField(null=True)
    submitted_by = fields.ForeignKeyField("models.Officer", related_name="post_loan_checks_done", null=True, on_delete=fields.SET_NULL)
    # the manager's review
    reviewed_at = fields.DatetimeField(null=True)
    reviewed_by = fields.ForeignKeyField("models.Officer", related_name="post_loan_checks_reviewed", null=True, on_delete=fields.SET_NULL)
    review_note = fields.CharField(max_length=500, default="")
    record_document = fields.ForeignKeyField("models.Document", related_name="post_loan_checks", null=True, on_delete=fields.SET_NULL)
    effects = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "post_loan_check"
        unique_together = (("loan", "reason", "due_on"),)
