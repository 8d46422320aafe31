from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DebitAttempt',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='debit_attempts', on_delete=OnDelete.CASCADE)),
                ('business_on', fields.DateField(db_index=True)),
                ('amount_fen', fields.BigIntField()),
                ('ok', fields.BooleanField()),
                ('reason', fields.CharField(default='', max_length=128)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'debit_attempt', 'app': 'models', 'unique_together': (('loan', 'business_on'),), 'pk_attr': 'id', 'table_description': 'One auto-debit try at end-of-day (early warnings count repeated failures).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EodRun',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('business_on', fields.DateField(unique=True)),
                ('steps_done', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'eod_run', 'app': 'models', 'pk_attr': 'id', 'table_description': "End-of-day for one business date: each finished step is recorded in the step's own transaction."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Loan',
            name='disbursement_ref',
            field=fields.CharField(default='', db_default='', max_length=64),
        ),
        ops.AddField(
            model_name='Loan',
            name='overdue_interest_fen',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Loan',
            name='overdue_principal_fen',
            field=fields.BigIntField(default=0, db_default=0),
        ),
    ]
