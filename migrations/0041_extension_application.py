"""展期 in the app (issue 17): a borrower's application for an extension of their own loan, which the officer proposes."""

from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from app.domain.vocabulary import ExtensionApplicationStatus


class Migration(migrations.Migration):
    dependencies = [('models', '0040_credit_application')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ExtensionApplication',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('loan', fields.ForeignKeyField('models.Loan', source_field='loan_id', db_constraint=True, to_field='id', related_name='extension_applications', on_delete=OnDelete.RESTRICT)),
                ('months', fields.IntField()),
                ('reason', fields.CharField(max_length=256)),
                ('applied_on', fields.DateField()),
                ('status', fields.CharEnumField(default=ExtensionApplicationStatus.PENDING, description='PENDING: pending\nPROPOSED: proposed', enum_type=ExtensionApplicationStatus, max_length=16)),
                ('command', fields.ForeignKeyField('models.PendingCommand', source_field='command_id', null=True, db_constraint=True, to_field='id', related_name='extension_applications', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'extension_application', 'app': 'models', 'pk_attr': 'id', 'table_description': "A borrower's application for an extension (展期) made in the app: the officer proposes it (`propose_extension`)."},
            bases=['Model'],
        ),
    ]
