"""展期 applications (issue 17): the officer declines one with a reason, and one not acted on by maturity expires."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from app.domain.vocabulary import ExtensionApplicationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0047_online_strategy_upload')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='ExtensionApplication',
            name='status',
            field=fields.CharEnumField(default=ExtensionApplicationStatus.PENDING, description='PENDING: pending\nPROPOSED: proposed\nDECLINED: declined\nEXPIRED: expired', enum_type=ExtensionApplicationStatus, max_length=16),
        ),
        ops.AddField(
            model_name='ExtensionApplication',
            name='decided_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='ExtensionApplication',
            name='decline_reason',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='ExtensionApplication',
            name='declined_by',
            field=fields.ForeignKeyField('models.Officer', source_field='declined_by_id', null=True, db_constraint=True, to_field='id', related_name='extension_applications_declined', on_delete=OnDelete.SET_NULL),
        ),
    ]
