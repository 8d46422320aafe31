from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.domain.visit import VisitStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_reporting_insight')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Visit',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('models.HouseholdMember', source_field='member_id', db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('co_member', fields.ForeignKeyField('models.HouseholdMember', source_field='co_member_id', null=True, db_constraint=True, to_field='id', related_name='co_visits', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('co_borrower', fields.ForeignKeyField('models.Customer', source_field='co_borrower_id', null=True, db_constraint=True, to_field='id', related_name='co_visits', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('village', fields.ForeignKeyField('models.Village', source_field='village_id', db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('step', fields.CharField(max_length=24)),
                ('status', fields.CharEnumField(default=VisitStatus.IN_PROGRESS, description='IN_PROGRESS: in_progress\nAWAITING_APPROVAL: awaiting_approval\nGRANTED: granted\nDECLINED: declined\nSIGNED: signed\nABANDONED: abandoned', enum_type=VisitStatus, max_length=24)),
                ('done_steps', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('skipped_steps', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lat', fields.FloatField(null=True)),
                ('lng', fields.FloatField(null=True)),
                ('accuracy_m', fields.IntField(null=True)),
                ('location_source', fields.CharField(default='device', max_length=8)),
                ('distance_m', fields.IntField(null=True)),
                ('far_from_village', fields.BooleanField(default=False)),
                ('pre_credit_fen', fields.BigIntField(null=True)),
                ('requested_amount_fen', fields.BigIntField(null=True)),
                ('proposed_amount_fen', fields.BigIntField(null=True)),
                ('risk_decision', fields.ForeignKeyField('models.RiskDecision', source_field='risk_decision_id', null=True, db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('credit_line', fields.ForeignKeyField('models.CreditLine', source_field='credit_line_id', null=True, db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('contract', fields.ForeignKeyField('models.Contract', source_field='contract_id', null=True, db_constraint=True, to_field='id', related_name='visits', on_delete=OnDelete.RESTRICT)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('models.Officer', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='visits_decided', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decline_reason', fields.CharField(default='', max_length=256)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'visit', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TrackPoint',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', db_constraint=True, to_field='id', related_name='track_points', on_delete=OnDelete.CASCADE)),
                ('visit', fields.ForeignKeyField('models.Visit', source_field='visit_id', null=True, db_constraint=True, to_field='id', related_name='track_points', on_delete=OnDelete.SET_NULL)),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
                ('accuracy_m', fields.IntField(null=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'track_point', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
