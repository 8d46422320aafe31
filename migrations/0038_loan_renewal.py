"""无还本续贷 (issue 17): a product setting for business-purpose products, and one row per renewal linking the old loan
and the new loan that repaid its principal (借新还旧)."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0037_guarantees')]

    initial = False

    operations = [
        ops.AddField(model_name='Product', name='renewable', field=fields.BooleanField(default=False, db_default=False)),
        ops.CreateModel(
            name='LoanRenewal',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('old_loan', fields.OneToOneField('models.Loan', source_field='old_loan_id', db_constraint=True, to_field='id', related_name='renewed_by', on_delete=OnDelete.RESTRICT)),
                ('new_loan', fields.OneToOneField('models.Loan', source_field='new_loan_id', db_constraint=True, to_field='id', related_name='renewal_of', on_delete=OnDelete.RESTRICT)),
                ('business_on', fields.DateField()),
                ('principal_fen', fields.BigIntField()),
                ('term_months', fields.IntField()),
                ('old_maturity_on', fields.DateField()),
                ('new_maturity_on', fields.DateField()),
                ('new_rate_ppm', fields.IntField()),
                ('command', fields.ForeignKeyField('models.PendingCommand', source_field='command_id', null=True, db_constraint=True, to_field='id', related_name='renewals', on_delete=OnDelete.SET_NULL)),
                ('maker', fields.ForeignKeyField('models.Officer', source_field='maker_id', null=True, db_constraint=True, to_field='id', related_name='renewals_made', on_delete=OnDelete.SET_NULL)),
                ('checker', fields.ForeignKeyField('models.Officer', source_field='checker_id', null=True, db_constraint=True, to_field='id', related_name='renewals_checked', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'loan_renewal', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One renewal without repaying principal (无还本续贷, 借新还旧): the new loan repaid the old loan\'s principal, no cash.'},
            bases=['Model'],
        ),
    ]
