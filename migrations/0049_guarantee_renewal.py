"""无还本续贷 (issue 17): each guarantor signs a guarantee contract for the new loan before a renewal (借新还旧 needs the
guarantor's agreement); the renewal links it to the new loan."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0048_extension_application_decline')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GuaranteeRenewal',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('old_loan', fields.ForeignKeyField('models.Loan', source_field='old_loan_id', db_constraint=True, to_field='id', related_name='renewal_guarantees', on_delete=OnDelete.RESTRICT)),
                ('new_loan', fields.ForeignKeyField('models.Loan', source_field='new_loan_id', null=True, db_constraint=True, to_field='id', related_name='guarantees_renewed', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('models.GuaranteeMember', source_field='member_id', db_constraint=True, to_field='id', related_name='renewal_contracts', on_delete=OnDelete.RESTRICT)),
                ('term_months', fields.IntField()),
                ('principal_fen', fields.BigIntField()),
                ('contract_no', fields.CharField(max_length=40, unique=True)),
                ('text_sha256', fields.CharField(max_length=64)),
                ('document', fields.ForeignKeyField('models.Document', source_field='document_id', db_constraint=True, to_field='id', related_name='guarantee_renewals', on_delete=OnDelete.RESTRICT)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('witnessed_by', fields.ForeignKeyField('models.Officer', source_field='witnessed_by_id', null=True, db_constraint=True, to_field='id', related_name='guarantee_renewals_witnessed', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'guarantee_renewal', 'app': 'models', 'pk_attr': 'id', 'table_description': "A guarantor's guarantee contract for the new loan of a 无还本续贷 (借新还旧): signed and sealed before the renewal"},
            bases=['Model'],
        ),
    ]
