from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.domain.appraisal import Grade, PanelRole, Status
from app.models.appraisal import ObjectionStatus
from app.models.census import CensusImportStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0006_contracts_outbox')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Appraisal',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('village', fields.ForeignKeyField('models.Village', source_field='village_id', db_constraint=True, to_field='id', related_name='appraisals', on_delete=OnDelete.RESTRICT)),
                ('product', fields.ForeignKeyField('models.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='appraisals', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=Status.DRAFT, description='DRAFT: draft\nFIRST_ROUND: first_round\nREVIEW: review\nAPPROVAL: approval\nPUBLISHED: published\nCLOSED: closed', enum_type=Status, max_length=16)),
                ('rules', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_by', fields.ForeignKeyField('models.Officer', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='appraisals_created', on_delete=OnDelete.SET_NULL)),
                ('reviewed_by', fields.ForeignKeyField('models.Officer', source_field='reviewed_by_id', null=True, db_constraint=True, to_field='id', related_name='appraisals_reviewed', on_delete=OnDelete.SET_NULL)),
                ('approved_by', fields.ForeignKeyField('models.Officer', source_field='approved_by_id', null=True, db_constraint=True, to_field='id', related_name='appraisals_approved', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('opened_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('round_closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('published_on', fields.DateField(null=True)),
                ('objection_until', fields.DateField(null=True)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appraisal', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AppraisalOutcome',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('appraisal', fields.ForeignKeyField('models.Appraisal', source_field='appraisal_id', db_constraint=True, to_field='id', related_name='outcomes', on_delete=OnDelete.CASCADE)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='appraisal_outcomes', on_delete=OnDelete.RESTRICT)),
                ('votes', fields.IntField()),
                ('knowing', fields.IntField()),
                ('grade', fields.CharEnumField(null=True, description='EXCELLENT: excellent\nGOOD: good\nFAIR: fair\nDECLINE: decline', enum_type=Grade, max_length=16)),
                ('panel_amount_fen', fields.BigIntField(null=True)),
                ('reason_counts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('excluded', fields.BooleanField(default=False)),
                ('exclusion_basis', fields.CharField(default='', max_length=16)),
                ('flagged', fields.BooleanField(default=False)),
                ('proposed_amount_fen', fields.BigIntField(default=0)),
            ],
            options={'table': 'appraisal_outcome', 'app': 'models', 'unique_together': (('appraisal', 'household'),), 'pk_attr': 'id', 'table_description': "The aggregate of a household's votes, computed when 初评 closes (and again after its review)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Approval',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('appraisal', fields.ForeignKeyField('models.Appraisal', source_field='appraisal_id', db_constraint=True, to_field='id', related_name='approvals', on_delete=OnDelete.CASCADE)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='appraisal_approvals', on_delete=OnDelete.RESTRICT)),
                ('approver', fields.ForeignKeyField('models.Officer', source_field='approver_id', null=True, db_constraint=True, to_field='id', related_name='appraisal_approvals', on_delete=OnDelete.SET_NULL)),
                ('grade', fields.CharEnumField(description='EXCELLENT: excellent\nGOOD: good\nFAIR: fair\nDECLINE: decline', enum_type=Grade, max_length=16)),
                ('pre_credit_amount_fen', fields.BigIntField()),
                ('approved_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appraisal_approval', 'app': 'models', 'unique_together': (('appraisal', 'household'),), 'pk_attr': 'id', 'table_description': '支行审定: the pre-credit amount (预授信额度) of a household (0 = 审定不予授信).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CensusImport',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('status', fields.CharEnumField(default=CensusImportStatus.PREVIEWED, description='PREVIEWED: previewed\nCOMMITTED: committed\nDISCARDED: discarded', enum_type=CensusImportStatus, max_length=16)),
                ('filename', fields.CharField(max_length=128)),
                ('file_sha256', fields.CharField(max_length=64)),
                ('size_bytes', fields.BigIntField()),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='census_imports', on_delete=OnDelete.RESTRICT)),
                ('created_by', fields.ForeignKeyField('models.Officer', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='census_imports', on_delete=OnDelete.SET_NULL)),
                ('village_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('row_count', fields.IntField()),
                ('error_count', fields.IntField()),
                ('household_count', fields.IntField(default=0)),
                ('payload_enc', fields.BinaryField(null=True)),
                ('preview', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('committed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'census_import', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One uploaded file. The parsed rows (names, ID numbers, phones) are one AES-GCM blob, and'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Objection',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('appraisal', fields.ForeignKeyField('models.Appraisal', source_field='appraisal_id', db_constraint=True, to_field='id', related_name='objections', on_delete=OnDelete.CASCADE)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='appraisal_objections', on_delete=OnDelete.RESTRICT)),
                ('raised_by', fields.CharField(max_length=32)),
                ('content', fields.CharField(max_length=500)),
                ('recorded_by', fields.ForeignKeyField('models.Officer', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='objections_recorded', on_delete=OnDelete.SET_NULL)),
                ('recorded_on', fields.DateField()),
                ('status', fields.CharEnumField(default=ObjectionStatus.OPEN, description='OPEN: open\nUPHELD: upheld\nDISMISSED: dismissed', enum_type=ObjectionStatus, max_length=16)),
                ('resolution', fields.CharField(default='', max_length=256)),
                ('resolved_by', fields.ForeignKeyField('models.Officer', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='objections_resolved', on_delete=OnDelete.SET_NULL)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appraisal_objection', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An objection raised during 公示, recorded by an officer and resolved before the appraisal closes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PanelMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('appraisal', fields.ForeignKeyField('models.Appraisal', source_field='appraisal_id', db_constraint=True, to_field='id', related_name='panel', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=32)),
                ('role', fields.CharEnumField(description='VILLAGE_CADRE: village_cadre\nVILLAGER_REP: villager_rep\nOFFICER: officer', enum_type=PanelRole, max_length=16)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='panel_seats', on_delete=OnDelete.RESTRICT)),
                ('link_nonce', fields.CharField(null=True, max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'appraisal_panel_member', 'app': 'models', 'unique_together': (('appraisal', 'officer'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewDecision',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('appraisal', fields.ForeignKeyField('models.Appraisal', source_field='appraisal_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='appraisal_reviews', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='appraisal_reviews', on_delete=OnDelete.SET_NULL)),
                ('grade', fields.CharEnumField(description='EXCELLENT: excellent\nGOOD: good\nFAIR: fair\nDECLINE: decline', enum_type=Grade, max_length=16)),
                ('amount_fen', fields.BigIntField()),
                ('exclusion_reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('facts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('model_amount_fen', fields.BigIntField(null=True)),
                ('note', fields.CharField(default='', max_length=256)),
                ('decided_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appraisal_review', 'app': 'models', 'unique_together': (('appraisal', 'household'),), 'pk_attr': 'id', 'table_description': "复评: the officer's grade and amount for a household, with the scorecard answers."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Vote',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('appraisal', fields.ForeignKeyField('models.Appraisal', source_field='appraisal_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.CASCADE)),
                ('member', fields.ForeignKeyField('models.PanelMember', source_field='member_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='appraisal_votes', on_delete=OnDelete.RESTRICT)),
                ('knows_household', fields.BooleanField()),
                ('grade', fields.CharEnumField(null=True, description='EXCELLENT: excellent\nGOOD: good\nFAIR: fair\nDECLINE: decline', enum_type=Grade, max_length=16)),
                ('suggested_amount_fen', fields.BigIntField(null=True)),
                ('exclusion_reasons', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'appraisal_vote', 'app': 'models', 'unique_together': (('appraisal', 'member', 'household'),), 'pk_attr': 'id', 'table_description': "A member's 初评 vote on a household. Never updated: a second vote is refused by the unique key."},
            bases=['Model'],
        ),
    ]
