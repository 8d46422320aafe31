"""Loan extensions (展期, issue 17): one row per extension approved through maker-checker; the outbox kinds now include
loan_reversed and loan_extended (the column's description only)."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from app.domain.vocabulary import OutboxKind


class Migration(migrations.Migration):
    dependencies = [('models', '0030_product_regulatory')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoanExtension',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='extensions', on_delete=OnDelete.RESTRICT)),
                ('business_on', fields.DateField()),
                ('months', fields.IntField()),
                ('original_term_months', fields.IntField()),
                ('old_maturity_on', fields.DateField()),
                ('new_maturity_on', fields.DateField()),
                ('old_rate_ppm', fields.IntField()),
                ('new_rate_ppm', fields.IntField()),
                ('old_tenor', fields.CharField(max_length=4)),
                ('new_tenor', fields.CharField(max_length=4)),
                ('balance_fen', fields.BigIntField()),
                ('restructured', fields.BooleanField(default=False)),
                ('command', fields.ForeignKeyField('models.PendingCommand', source_field='command_id', null=True, db_constraint=True, to_field='id', related_name='extensions', on_delete=OnDelete.SET_NULL)),
                ('maker', fields.ForeignKeyField('models.Officer', source_field='maker_id', null=True, db_constraint=True, to_field='id', related_name='extensions_made', on_delete=OnDelete.SET_NULL)),
                ('checker', fields.ForeignKeyField('models.Officer', source_field='checker_id', null=True, db_constraint=True, to_field='id', related_name='extensions_checked', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'loan_extension', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One extension (展期) of a loan, approved through maker-checker: the loan is flagged as extended by having one.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='OutboxMessage',
            name='kind',
            field=fields.CharEnumField(description='LINE_GRANTED: line_granted\nCONTRACT_SIGNED: contract_signed\nLOAN_WRITTEN_OFF: loan_written_off\nLOAN_REVERSED: loan_reversed\nLOAN_EXTENDED: loan_extended', enum_type=OutboxKind, max_length=24),
        ),
    ]
