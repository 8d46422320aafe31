from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.models.enums import CoreOutcome, LoanStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_eod_lease')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CoreInstruction',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('reference', fields.CharField(unique=True, max_length=80)),
                ('kind', fields.CharField(max_length=16)),
                ('purpose', fields.CharField(max_length=16)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', null=True, db_constraint=True, to_field='id', related_name='core_instructions', on_delete=OnDelete.RESTRICT)),
                ('amount_fen', fields.BigIntField()),
                ('business_on', fields.DateField(db_index=True)),
                ('outcome', fields.CharEnumField(default=CoreOutcome.PENDING, db_index=True, description='PENDING: pending\nDONE: done\nREFUSED: refused', enum_type=CoreOutcome, max_length=16)),
                ('core_ref', fields.CharField(default='', max_length=64)),
                ('reason', fields.CharField(default='', max_length=128)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'core_instruction', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One money instruction sent to core banking (放款 / 扣款 / 退款) and what it came to.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SandboxCoreTransaction',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('reference', fields.CharField(unique=True, max_length=80)),
                ('kind', fields.CharField(max_length=16)),
                ('amount_fen', fields.BigIntField()),
                ('card_last4', fields.CharField(default='', max_length=4)),
                ('done', fields.BooleanField()),
                ('reason', fields.CharField(default='', max_length=128)),
                ('core_ref', fields.CharField(default='', max_length=64)),
                ('booked_on', fields.DateField(db_index=True)),
                ('original_reference', fields.CharField(null=True, max_length=80)),
                ('status_queries', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sandbox_core_txn', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='LedgerEntry',
            name='core_reference',
            field=fields.CharField(null=True, db_index=True, max_length=80),
        ),
        ops.AlterField(
            model_name='Loan',
            name='status',
            field=fields.CharEnumField(default=LoanStatus.ACTIVE, description='DISBURSING: disbursing\nACTIVE: active\nSETTLED: settled\nWRITTEN_OFF: written_off\nCANCELLED: cancelled', enum_type=LoanStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Loan',
            name='debit_in_flight',
            field=fields.CharField(null=True, max_length=80),
        ),
        ops.AddField(
            model_name='Product',
            name='excess_debit',
            field=fields.CharField(default='refund', db_default='refund', max_length=16),
        ),
    ]
