"""联保 (issue 17): joint guarantee groups and their members' signed guarantees; a collection task may call on a guarantee
(guarantor tasks). Also brings the outbox kind list up to date (loan_reversed, loan_extended)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from app.domain.vocabulary import OutboxKind
from app.domain.warnings import WarningKind
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0036_warning_collection_updated_at')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GuaranteeGroup',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='guarantee_groups', on_delete=OnDelete.RESTRICT)),
                ('branch', fields.ForeignKeyField('models.Branch', source_field='branch_id', db_constraint=True, to_field='id', related_name='guarantee_groups', on_delete=OnDelete.RESTRICT)),
                ('village', fields.ForeignKeyField('models.Village', source_field='village_id', null=True, db_constraint=True, to_field='id', related_name='guarantee_groups', on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(max_length=64)),
                ('status', fields.CharField(default='active', db_index=True, max_length=16)),
                ('origin', fields.CharField(default='visit', max_length=16)),
                ('formed_on', fields.DateField()),
                ('formed_by', fields.ForeignKeyField('models.Officer', source_field='formed_by_id', null=True, db_constraint=True, to_field='id', related_name='guarantee_groups_formed', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'guarantee_group', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='GuaranteeMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('group', fields.ForeignKeyField('models.GuaranteeGroup', source_field='group_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='guarantee_memberships', on_delete=OnDelete.RESTRICT)),
                ('customer', fields.ForeignKeyField('models.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='guarantees_given', on_delete=OnDelete.RESTRICT)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='guarantee_members', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharField(default='active', db_index=True, max_length=16)),
                ('amount_fen', fields.BigIntField()),
                ('contract_no', fields.CharField(unique=True, max_length=40)),
                ('contract_sha256', fields.CharField(max_length=64)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('witnessed_by', fields.ForeignKeyField('models.Officer', source_field='witnessed_by_id', null=True, db_constraint=True, to_field='id', related_name='guarantees_witnessed', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'guarantee_member', 'app': 'models', 'pk_attr': 'id', 'table_description': "One household in a group, and its signed guarantee for the other members' loans."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CollectionTask',
            name='guarantee',
            field=fields.ForeignKeyField('models.GuaranteeMember', source_field='guarantee_id', null=True, db_constraint=True, to_field='id', related_name='collection_tasks', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddField(
            model_name='CollectionTask',
            name='open_guarantee_key',
            field=fields.CharField(null=True, unique=True, max_length=80),
        ),
        ops.AlterField(
            model_name='OutboxMessage',
            name='kind',
            field=fields.CharEnumField(description='LINE_GRANTED: line_granted\nCONTRACT_SIGNED: contract_signed\nLOAN_WRITTEN_OFF: loan_written_off\nLOAN_REVERSED: loan_reversed\nLOAN_EXTENDED: loan_extended', enum_type=OutboxKind, max_length=24),
        ),
        ops.AlterField(
            model_name='EarlyWarning',
            name='kind',
            field=fields.CharEnumField(description='NEW_OVERDUE: new_overdue\nRISING_DPD: rising_dpd\nNEW_HARD_QUERIES: new_hard_queries\nLARGE_DRAWDOWN_AFTER_GRANT: large_drawdown_after_grant\nREPEATED_FAILED_DEBITS: repeated_failed_debits\nRECONCILIATION_BREAK: reconciliation_break\nPOST_LOAN_CHECK: post_loan_check\nGUARANTEE_CALLED: guarantee_called', enum_type=WarningKind, max_length=32),
        ),
    ]
