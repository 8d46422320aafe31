"""Loan-loss allowance, write-off and recovery (issue 17): the write-off record (账销案存), its recoveries, the monthly
provision per bank, and the outbox kind loan_written_off."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.domain.classification import LoanClass
from app.domain.vocabulary import OutboxKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0027_persisted_documents')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='OutboxMessage',
            name='kind',
            field=fields.CharEnumField(description='LINE_GRANTED: line_granted\nCONTRACT_SIGNED: contract_signed\nLOAN_WRITTEN_OFF: loan_written_off', enum_type=OutboxKind, max_length=24),
        ),
        ops.CreateModel(
            name='AllowanceProvision',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='provisions', on_delete=OnDelete.RESTRICT)),
                ('month', fields.CharField(max_length=7)),
                ('business_on', fields.DateField()),
                ('balances', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('rates_ppm', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('required_fen', fields.BigIntField()),
                ('booked_before_fen', fields.BigIntField()),
                ('posted_fen', fields.BigIntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'allowance_provision', 'app': 'models', 'unique_together': (('bank', 'month'),), 'pk_attr': 'id', 'table_description': "One bank's monthly provision: the required allowance by class and what was posted."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoanWriteOff',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.OneToOneField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='write_off', on_delete=OnDelete.RESTRICT)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='write_offs', on_delete=OnDelete.RESTRICT)),
                ('written_off_on', fields.DateField(db_index=True)),
                ('class_at_write_off', fields.CharEnumField(description='NORMAL: normal\nSPECIAL_MENTION: special_mention\nSUBSTANDARD: substandard\nDOUBTFUL: doubtful\nLOSS: loss', enum_type=LoanClass, max_length=16)),
                ('days_past_due', fields.IntField(default=0)),
                ('principal_fen', fields.BigIntField()),
                ('interest_fen', fields.BigIntField()),
                ('recovered_principal_fen', fields.BigIntField(default=0)),
                ('recovered_interest_fen', fields.BigIntField(default=0)),
                ('command', fields.ForeignKeyField('models.PendingCommand', source_field='command_id', null=True, db_constraint=True, to_field='id', related_name='write_offs', on_delete=OnDelete.RESTRICT)),
                ('maker', fields.ForeignKeyField('models.Officer', source_field='maker_id', null=True, db_constraint=True, to_field='id', related_name='write_offs_made', on_delete=OnDelete.SET_NULL)),
                ('checker', fields.ForeignKeyField('models.Officer', source_field='checker_id', null=True, db_constraint=True, to_field='id', related_name='write_offs_checked', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'loan_write_off', 'app': 'models', 'pk_attr': 'id', 'table_description': "A written-off loan's off-balance record (账销案存): what was written off and what has been recovered since."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WriteOffRecovery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('write_off', fields.ForeignKeyField('models.LoanWriteOff', source_field='write_off_id', db_constraint=True, to_field='id', related_name='recoveries', on_delete=OnDelete.RESTRICT)),
                ('business_on', fields.DateField(db_index=True)),
                ('amount_fen', fields.BigIntField()),
                ('principal_fen', fields.BigIntField()),
                ('interest_fen', fields.BigIntField()),
                ('reference', fields.CharField(unique=True, max_length=64)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='recoveries', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'write_off_recovery', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Money recovered on a written-off loan (核销后收回).'},
            bases=['Model'],
        ),
    ]
