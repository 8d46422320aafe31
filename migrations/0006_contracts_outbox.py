from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.models.contract import ContractStatus, SignatureRole
from app.models.outbox import OutboxKind, OutboxStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_warnings_collections_borrowers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Contract',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('number', fields.CharField(unique=True, max_length=48)),
                ('credit_line', fields.OneToOneField('models.CreditLine', source_field='credit_line_id', db_constraint=True, to_field='id', related_name='contract', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='contracts', on_delete=OnDelete.RESTRICT)),
                ('co_borrower', fields.ForeignKeyField('models.Customer', source_field='co_borrower_id', null=True, db_constraint=True, to_field='id', related_name='co_borrowed_contracts', on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='contracts', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=ContractStatus.DRAFT, description='DRAFT: draft\nRENDERED: rendered\nBORROWER_SIGNED: borrower_signed\nCO_BORROWER_SIGNED: co_borrower_signed\nSEALED: sealed', enum_type=ContractStatus, max_length=24)),
                ('contract_on', fields.DateField()),
                ('lpr_ppm', fields.IntField()),
                ('annual_rate_ppm', fields.IntField()),
                ('unsigned_document', fields.ForeignKeyField('models.Document', source_field='unsigned_document_id', null=True, db_constraint=True, to_field='id', related_name='contracts_as_unsigned', on_delete=OnDelete.RESTRICT)),
                ('borrower_signed_document', fields.ForeignKeyField('models.Document', source_field='borrower_signed_document_id', null=True, db_constraint=True, to_field='id', related_name='contracts_as_borrower_signed', on_delete=OnDelete.RESTRICT)),
                ('co_borrower_signed_document', fields.ForeignKeyField('models.Document', source_field='co_borrower_signed_document_id', null=True, db_constraint=True, to_field='id', related_name='contracts_as_co_borrower_signed', on_delete=OnDelete.RESTRICT)),
                ('sealed_document', fields.ForeignKeyField('models.Document', source_field='sealed_document_id', null=True, db_constraint=True, to_field='id', related_name='contracts_as_sealed', on_delete=OnDelete.RESTRICT)),
                ('render_job_id', fields.CharField(null=True, max_length=128)),
                ('error', fields.CharField(null=True, max_length=256)),
                ('rendered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sealed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sealed_by', fields.ForeignKeyField('models.Officer', source_field='sealed_by_id', null=True, db_constraint=True, to_field='id', related_name='sealed_contracts', on_delete=OnDelete.SET_NULL)),
                ('created_by', fields.ForeignKeyField('models.Officer', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='created_contracts', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contract', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContractSignature',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('contract', fields.ForeignKeyField('models.Contract', source_field='contract_id', db_constraint=True, to_field='id', related_name='signatures', on_delete=OnDelete.RESTRICT)),
                ('role', fields.CharEnumField(description='BORROWER: borrower\nCO_BORROWER: co_borrower', enum_type=SignatureRole, max_length=16)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='contract_signatures', on_delete=OnDelete.RESTRICT)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
                ('face_verification_id', fields.UUIDField(unique=True)),
                ('signature_image', fields.ForeignKeyField('models.Document', source_field='signature_image_id', db_constraint=True, to_field='id', related_name='signatures_as_image', on_delete=OnDelete.RESTRICT)),
                ('signed_document', fields.ForeignKeyField('models.Document', source_field='signed_document_id', db_constraint=True, to_field='id', related_name='signatures_as_result', on_delete=OnDelete.RESTRICT)),
                ('certificate_serial', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'contract_signature', 'app': 'models', 'unique_together': (('contract', 'role'),), 'pk_attr': 'id', 'table_description': "One customer's signature: who, when, where, with which face check and hand-signature image."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='LINE_GRANTED: line_granted\nCONTRACT_SIGNED: contract_signed', enum_type=OutboxKind, max_length=24)),
                ('key', fields.CharField(unique=True, max_length=96)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: pending\nSENT: sent\nDEAD: dead', enum_type=OutboxStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(null=True, max_length=256)),
                ('remote_ref', fields.CharField(null=True, max_length=64)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'outbox_message', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
