"""External data (issue 20): consents to query each external source, and the queries with their results."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.domain.external_data import ExternalQueryStatus, ExternalSource
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0031_loan_extension')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExternalDataConsent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='external_consents', on_delete=OnDelete.RESTRICT)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='external_consents', on_delete=OnDelete.RESTRICT)),
                ('source', fields.CharEnumField(description='HOUSING_FUND: housing_fund\nSOCIAL_INSURANCE: social_insurance\nTAX: tax\nGRAIN_SUBSIDY: grain_subsidy\nINSURANCE: insurance\nSTATE_GRID: state_grid', enum_type=ExternalSource, max_length=24)),
                ('purposes', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', null=True, db_constraint=True, to_field='id', related_name='external_consents', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='external_consents', on_delete=OnDelete.SET_NULL)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'external_data_consent', 'app': 'models', 'indexes': [Index(fields=['customer_id', 'source'])], 'pk_attr': 'id', 'table_description': "A customer's authorisation to query one external source, for named purposes, until it expires (PIPL)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExternalDataQuery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='external_queries', on_delete=OnDelete.RESTRICT)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='external_queries', on_delete=OnDelete.RESTRICT)),
                ('consent', fields.ForeignKeyField('models.ExternalDataConsent', source_field='consent_id', db_constraint=True, to_field='id', related_name='queries', on_delete=OnDelete.RESTRICT)),
                ('source', fields.CharEnumField(description='HOUSING_FUND: housing_fund\nSOCIAL_INSURANCE: social_insurance\nTAX: tax\nGRAIN_SUBSIDY: grain_subsidy\nINSURANCE: insurance\nSTATE_GRID: state_grid', enum_type=ExternalSource, max_length=24)),
                ('purpose', fields.CharField(max_length=16)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='external_queries', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.CharField(max_length=64)),
                ('requested_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=ExternalQueryStatus.PENDING, description='PENDING: pending\nOK: ok\nNO_RECORD: no_record\nTIMEOUT: timeout\nFAILED: failed', enum_type=ExternalQueryStatus, max_length=16)),
                ('error_code', fields.CharField(null=True, max_length=32)),
                ('error', fields.CharField(null=True, max_length=256)),
                ('facts', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'external_data_query', 'app': 'models', 'indexes': [Index(fields=['customer_id', 'source', 'requested_at'])], 'pk_attr': 'id', 'table_description': 'One query to an external source (or one imported row): who, why, when, under which consent, and the result.'},
            bases=['Model'],
        ),
    ]
