"""Post-loan checks (post_loan_check), the warning kind post_loan_check and document kind post_loan_check, and collection_task.source."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.domain.classification import LoanClass
from app.domain.postloan import CheckReason, CheckStatus, Conclusion
from app.domain.vocabulary import DocumentKind
from app.domain.warnings import WarningKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0020_liveness_running')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PostLoanCheck',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='post_loan_checks', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='post_loan_checks', on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='post_loan_checks', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='post_loan_checks', on_delete=OnDelete.SET_NULL)),
                ('reason', fields.CharEnumField(description='FIRST: first\nPERIODIC: periodic\nWARNING: warning', enum_type=CheckReason, max_length=16)),
                ('due_on', fields.DateField(db_index=True)),
                ('raised_on', fields.DateField()),
                ('warning', fields.ForeignKeyField('models.EarlyWarning', source_field='warning_id', null=True, db_constraint=True, to_field='id', related_name='post_loan_checks', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=CheckStatus.DUE, db_index=True, description='DUE: due\nSUBMITTED: submitted\nRETURNED: returned\nCONFIRMED: confirmed', enum_type=CheckStatus, max_length=16)),
                ('lat', fields.FloatField(null=True)),
                ('lng', fields.FloatField(null=True)),
                ('accuracy_m', fields.IntField(null=True)),
                ('location_source', fields.CharField(default='', max_length=8)),
                ('distance_m', fields.IntField(null=True)),
                ('photo_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('answers', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('conclusion', fields.CharEnumField(null=True, description='NORMAL: normal\nWATCH: watch\nRECLASSIFY: reclassify\nCOLLECT: collect', enum_type=Conclusion, max_length=16)),
                ('proposed_class', fields.CharEnumField(null=True, description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('checked_on', fields.DateField(null=True)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_by', fields.ForeignKeyField('models.Officer', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name='post_loan_checks_done', on_delete=OnDelete.SET_NULL)),
                ('reviewed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reviewed_by', fields.ForeignKeyField('models.Officer', source_field='reviewed_by_id', null=True, db_constraint=True, to_field='id', related_name='post_loan_checks_reviewed', on_delete=OnDelete.SET_NULL)),
                ('review_note', fields.CharField(default='', max_length=500)),
                ('record_document', fields.ForeignKeyField('models.Document', source_field='record_document_id', null=True, db_constraint=True, to_field='id', related_name='post_loan_checks', on_delete=OnDelete.SET_NULL)),
                ('effects', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'post_loan_check', 'app': 'models', 'unique_together': (('loan', 'reason', 'due_on'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CollectionTask',
            name='source',
            field=fields.CharField(default='eod', db_default='eod', max_length=16),
        ),
        ops.AlterField(
            model_name='Document',
            name='kind',
            field=fields.CharEnumField(description='ID_CARD_FRONT: id_card_front\nID_CARD_BACK: id_card_back\nPORTRAIT: portrait\nFACE_CAPTURE: face_capture\nASSET_PHOTO: asset_photo\nAUTHORISATION: authorisation\nCONTRACT: contract\nSIGNATURE: signature\nCREDIT_REPORT: credit_report\nPOST_LOAN_CHECK: post_loan_check\nOTHER: other', enum_type=DocumentKind, max_length=24),
        ),
        ops.AlterField(
            model_name='EarlyWarning',
            name='kind',
            field=fields.CharEnumField(description='NEW_OVERDUE: new_overdue\nRISING_DPD: rising_dpd\nNEW_HARD_QUERIES: new_hard_queries\nLARGE_DRAWDOWN_AFTER_GRANT: large_drawdown_after_grant\nREPEATED_FAILED_DEBITS: repeated_failed_debits\nRECONCILIATION_BREAK: reconciliation_break\nPOST_LOAN_CHECK: post_loan_check', enum_type=WarningKind, max_length=32),
        ),
    ]
