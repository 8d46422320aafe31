from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.models.risk import CreditQueryStatus, IdentityOutcome, ListKind, RiskOutcome, RiskPurpose, RuleSetKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_lending_eod')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CreditAuthorisation',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='credit_authorisations', on_delete=OnDelete.RESTRICT)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', null=True, db_constraint=True, to_field='id', related_name='credit_authorisations', on_delete=OnDelete.RESTRICT)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DateField()),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='credit_authorisations', on_delete=OnDelete.SET_NULL)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'credit_authorisation', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A signed credit-report authorisation (征信查询授权书) on file.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CreditQuery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='credit_queries', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='credit_queries', on_delete=OnDelete.SET_NULL)),
                ('authorisation', fields.ForeignKeyField('models.CreditAuthorisation', source_field='authorisation_id', null=True, db_constraint=True, to_field='id', related_name='credit_queries', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(max_length=16)),
                ('institution', fields.CharField(max_length=64)),
                ('hard', fields.BooleanField()),
                ('requested_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=CreditQueryStatus.PENDING, description='PENDING: pending\nOK: ok\nFAILED: failed\nTIMEOUT: timeout', enum_type=CreditQueryStatus, max_length=16)),
                ('error_code', fields.CharField(null=True, max_length=32)),
                ('error', fields.CharField(null=True, max_length=256)),
                ('report_document', fields.ForeignKeyField('models.Document', source_field='report_document_id', null=True, db_constraint=True, to_field='id', related_name='credit_queries', on_delete=OnDelete.RESTRICT)),
                ('report_date', fields.DateField(null=True)),
            ],
            options={'table': 'credit_query', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One query to the credit bureau: who, why, when and what came back.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='IdentityVerification',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='identity_verifications', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=32)),
                ('id_number_hash', fields.CharField(db_index=True, max_length=64)),
                ('id_number_masked', fields.CharField(max_length=18)),
                ('with_portrait', fields.BooleanField(default=False)),
                ('result', fields.CharEnumField(description='MATCH: match\nMISMATCH: mismatch\nTIMEOUT: timeout\nFAILED: failed', enum_type=IdentityOutcome, max_length=16)),
                ('reason_code', fields.CharField(max_length=32)),
                ('reason', fields.CharField(max_length=128)),
                ('checked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='identity_verifications', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'identity_verification', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One online identity check (联网核查) and its outcome.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ListEntry',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('id_number_hash', fields.CharField(db_index=True, max_length=64)),
                ('id_number_masked', fields.CharField(max_length=18)),
                ('name', fields.CharField(max_length=32)),
                ('list_kind', fields.CharEnumField(description='BLACK: black\nGREY: grey', enum_type=ListKind, max_length=8)),
                ('reason', fields.CharField(max_length=256)),
                ('expires_on', fields.DateField(null=True)),
                ('created_by', fields.ForeignKeyField('models.Officer', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='list_entries_created', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('removed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('removed_by', fields.ForeignKeyField('models.Officer', source_field='removed_by_id', null=True, db_constraint=True, to_field='id', related_name='list_entries_removed', on_delete=OnDelete.SET_NULL)),
                ('removed_reason', fields.CharField(default='', max_length=256)),
            ],
            options={'table': 'list_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A black or grey list entry, by ID number (lookup hash), with a reason and an optional expiry.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskDecision',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='risk_decisions', on_delete=OnDelete.RESTRICT)),
                ('credit_query', fields.ForeignKeyField('models.CreditQuery', source_field='credit_query_id', null=True, db_constraint=True, to_field='id', related_name='risk_decisions', on_delete=OnDelete.RESTRICT)),
                ('purpose', fields.CharEnumField(description='SIGNING: signing\nDRAWDOWN: drawdown', enum_type=RiskPurpose, max_length=16)),
                ('ruleset_version', fields.CharField(max_length=64)),
                ('decision', fields.CharEnumField(description='PASS: pass\nREVIEW: review\nREJECT: reject', enum_type=RiskOutcome, max_length=16)),
                ('hits', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('explanation', fields.TextField(unique=False)),
                ('decided_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('models.Officer', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='risk_decisions', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'risk_decision', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The outcome of running the active rule set on the report of a customer.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RuleSetVersion',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='REJECT: reject', enum_type=RuleSetKind, max_length=16)),
                ('version', fields.CharField(unique=True, max_length=64)),
                ('description', fields.CharField(default='', max_length=256)),
                ('yaml_text', fields.TextField(unique=False)),
                ('is_active', fields.BooleanField(default=False)),
                ('uploaded_by', fields.ForeignKeyField('models.Officer', source_field='uploaded_by_id', null=True, db_constraint=True, to_field='id', related_name='rule_sets_uploaded', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'rule_set_version', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One uploaded (or the shipped) version of a rule set, at most one active per kind.'},
            bases=['Model'],
        ),
    ]
