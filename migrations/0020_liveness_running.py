"""liveness_check.status gains running: a worker is judging the frames (the one job lifecycle)."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.identity import LivenessStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0019_job_lifecycle')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='LivenessCheck',
            name='status',
            field=fields.CharEnumField(default=LivenessStatus.PENDING, description='PENDING: pending\nRUNNING: running\nPASSED: passed\nFAILED: failed\nEXPIRED: expired', enum_type=LivenessStatus, max_length=16),
        ),
    ]
