from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.domain.warnings import Severity, WarningKind
from app.models.borrower import ApplicationStatus
from app.models.collection import CloseReason, CollectionActionKind, CollectionStatus
from app.models.warning import WarningActionKind, WarningStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_revolving_method')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CardLookup',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('card', fields.OneToOneField('models.BankCard', source_field='card_id', db_constraint=True, to_field='id', related_name='lookup', on_delete=OnDelete.CASCADE)),
                ('bank_name', fields.CharField(max_length=64)),
                ('branch_name', fields.CharField(default='', max_length=64)),
                ('is_own_bank', fields.BooleanField()),
                ('looked_up_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'card_lookup', 'app': 'models', 'pk_attr': 'id', 'table_description': 'What core banking said about a bound card: the bank and branch that opened the account.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CollectionTask',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='collection_tasks', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='collection_tasks', on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='collection_tasks', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='collection_tasks', on_delete=OnDelete.SET_NULL)),
                ('open_loan_id', fields.UUIDField(null=True, unique=True)),
                ('status', fields.CharEnumField(default=CollectionStatus.OPEN, db_index=True, description='OPEN: open\nCLOSED: closed', enum_type=CollectionStatus, max_length=16)),
                ('opened_on', fields.DateField(db_index=True)),
                ('opened_dpd', fields.IntField(default=0)),
                ('closed_on', fields.DateField(null=True)),
                ('close_reason', fields.CharEnumField(null=True, description='CURED: cured\nSETTLED: settled\nWRITTEN_OFF: written_off', enum_type=CloseReason, max_length=16)),
                ('next_action_on', fields.DateField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'collection_task', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CollectionAction',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('task', fields.ForeignKeyField('models.CollectionTask', source_field='task_id', db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.CASCADE)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='collection_actions', on_delete=OnDelete.SET_NULL)),
                ('kind', fields.CharEnumField(description='CALL: call\nVISIT: visit\nPROMISE_TO_PAY: promise_to_pay\nLEGAL: legal', enum_type=CollectionActionKind, max_length=16)),
                ('outcome', fields.CharField(max_length=500)),
                ('promised_amount_fen', fields.BigIntField(null=True)),
                ('promised_on', fields.DateField(null=True)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'collection_action', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomerDevice',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='devices', on_delete=OnDelete.CASCADE)),
                ('device_hash', fields.CharField(max_length=64)),
                ('label', fields.CharField(default='', max_length=64)),
                ('bound_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_seen_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'customer_device', 'app': 'models', 'unique_together': (('customer', 'device_hash'),), 'pk_attr': 'id', 'table_description': "A phone the customer signed in on (the app's install id, hashed), revoked by sign-out everywhere."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EarlyWarning',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='NEW_OVERDUE: new_overdue\nRISING_DPD: rising_dpd\nNEW_HARD_QUERIES: new_hard_queries\nLARGE_DRAWDOWN_AFTER_GRANT: large_drawdown_after_grant\nREPEATED_FAILED_DEBITS: repeated_failed_debits', enum_type=WarningKind, max_length=32)),
                ('severity', fields.CharEnumField(description='LOW: low\nMEDIUM: medium\nHIGH: high', enum_type=Severity, max_length=8)),
                ('level', fields.IntField(default=0)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='warnings', on_delete=OnDelete.RESTRICT)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', null=True, db_constraint=True, to_field='id', related_name='warnings', on_delete=OnDelete.RESTRICT)),
                ('subject_id', fields.UUIDField()),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='warnings', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='warnings_assigned', on_delete=OnDelete.SET_NULL)),
                ('business_on', fields.DateField(db_index=True)),
                ('message', fields.CharField(max_length=256)),
                ('evidence', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=WarningStatus.OPEN, db_index=True, description='OPEN: open\nHANDLED: handled\nDISMISSED: dismissed', enum_type=WarningStatus, max_length=16)),
                ('handled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('handled_by', fields.ForeignKeyField('models.Officer', source_field='handled_by_id', null=True, db_constraint=True, to_field='id', related_name='warnings_handled', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'early_warning', 'app': 'models', 'unique_together': (('kind', 'subject_id', 'business_on'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoanApplication',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='loan_applications', on_delete=OnDelete.RESTRICT)),
                ('credit_line', fields.ForeignKeyField('models.CreditLine', source_field='credit_line_id', db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('idempotency_key', fields.UUIDField()),
                ('requested_fen', fields.BigIntField()),
                ('approved_fen', fields.BigIntField(default=0)),
                ('term_months', fields.IntField()),
                ('method', fields.CharField(max_length=24)),
                ('status', fields.CharEnumField(description='AWAITING_CODE: awaiting_code\nDISBURSED: disbursed\nREJECTED: rejected\nREFERRED: referred', enum_type=ApplicationStatus, max_length=16)),
                ('risk_decision', fields.ForeignKeyField('models.RiskDecision', source_field='risk_decision_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('message', fields.TextField(default='', unique=False)),
                ('code_hash', fields.CharField(default='', max_length=64)),
                ('code_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('code_attempts', fields.IntField(default=0)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', null=True, db_constraint=True, to_field='id', related_name='applications', on_delete=OnDelete.RESTRICT)),
                ('applied_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'loan_application', 'app': 'models', 'unique_together': (('customer', 'idempotency_key'),), 'pk_attr': 'id', 'table_description': 'A drawdown asked for in the app: credit check, amount decided, confirmed by code, disbursed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LoginCode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('phone_hash', fields.CharField(db_index=True, max_length=64)),
                ('code_hash', fields.CharField(max_length=64)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', null=True, db_constraint=True, to_field='id', related_name='login_codes', on_delete=OnDelete.CASCADE)),
                ('requested_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('requested_ip', fields.CharField(default='', db_index=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One SMS sign-in code asked for a phone (also for phones of no customer: rate limits count them).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family_id', fields.UUIDField(db_index=True)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('device', fields.ForeignKeyField('models.CustomerDevice', source_field='device_id', db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One refresh token of a rotation family: each use replaces it, a second use revokes the family.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WarningAction',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('warning', fields.ForeignKeyField('models.EarlyWarning', source_field='warning_id', db_constraint=True, to_field='id', related_name='actions', on_delete=OnDelete.CASCADE)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', null=True, db_constraint=True, to_field='id', related_name='warning_actions', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharEnumField(description='NOTE: note\nHANDLE: handle\nDISMISS: dismiss', enum_type=WarningActionKind, max_length=16)),
                ('note', fields.CharField(max_length=500)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'warning_action', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One handling record: who did what about a warning, when, with a note.'},
            bases=['Model'],
        ),
    ]
