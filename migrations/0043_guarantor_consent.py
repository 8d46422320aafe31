"""展期 (issue 17): a guarantor's written consent to an extension of a loan they guarantee, recorded before the extension
is proposed."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0042_external_employer')]

    initial = False

    operations = [
        ops.CreateModel(
            name='GuarantorConsent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='guarantor_consents', on_delete=OnDelete.RESTRICT)),
                ('member', fields.ForeignKeyField('models.GuaranteeMember', source_field='member_id', db_constraint=True, to_field='id', related_name='consents', on_delete=OnDelete.RESTRICT)),
                ('months', fields.IntField()),
                ('text_sha256', fields.CharField(max_length=64)),
                ('signed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('witnessed_by', fields.ForeignKeyField('models.Officer', source_field='witnessed_by_id', null=True, db_constraint=True, to_field='id', related_name='consents_witnessed', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'guarantor_consent', 'app': 'models', 'pk_attr': 'id', 'table_description': "A guarantor's written consent to an extension (展期) of a loan they guarantee, signed before the extension is"},
            bases=['Model'],
        ),
    ]
