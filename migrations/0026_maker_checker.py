from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.domain.maker_checker import CommandKind, CommandStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0025_list_entry_bank')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PendingCommand',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(db_index=True, description='WRITE_OFF: write_off\nREVERSAL: reversal\nEXTENSION: extension\nRENEWAL: renewal\nCOUNTER_DRAWDOWN: counter_drawdown\nRULESET_UPLOAD: ruleset_upload\nLIST_CHANGE: list_change', enum_type=CommandKind, max_length=24)),
                ('params', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='pending_commands', on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='pending_commands', on_delete=OnDelete.RESTRICT)),
                ('subject', fields.CharField(default='', max_length=128)),
                ('status', fields.CharEnumField(default=CommandStatus.PENDING, db_index=True, description='PENDING: pending\nAPPROVED: approved\nREJECTED: rejected\nEXPIRED: expired\nFAILED: failed', enum_type=CommandStatus, max_length=16)),
                ('maker', fields.ForeignKeyField('models.Officer', source_field='maker_id', db_constraint=True, to_field='id', related_name='commands_made', on_delete=OnDelete.RESTRICT)),
                ('reason', fields.CharField(default='', max_length=200)),
                ('preview', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('made_on', fields.DateField()),
                ('checker', fields.ForeignKeyField('models.Officer', source_field='checker_id', null=True, db_constraint=True, to_field='id', related_name='commands_checked', on_delete=OnDelete.RESTRICT)),
                ('check_note', fields.CharField(default='', max_length=200)),
                ('check_preview', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('checked_on', fields.DateField(null=True)),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'pending_command', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An operation the maker asked for, kept whatever its outcome (approved, rejected, expired, failed are never deleted).'},
            bases=['Model'],
        ),
    ]
