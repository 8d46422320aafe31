"""One job lifecycle: contract renders get pending/running/done/failed, the outbox a running state, identity rows the time of a 重试."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.identity import JobStatus
from app.models.outbox import OutboxStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0018_interest_jishu')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Contract',
            name='render_error_code',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='Contract',
            name='render_requested_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Contract',
            name='render_started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Contract',
            name='render_status',
            field=fields.CharEnumField(null=True, description='PENDING: pending\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=JobStatus, max_length=16),
        ),
        ops.AddField(
            model_name='FaceEnrolment',
            name='retried_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='FaceVerification',
            name='retried_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='IdCardRead',
            name='retried_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='LivenessCheck',
            name='retried_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AlterField(
            model_name='OutboxMessage',
            name='status',
            field=fields.CharEnumField(default=OutboxStatus.PENDING, description='PENDING: pending\nRUNNING: running\nSENT: sent\nDEAD: dead', enum_type=OutboxStatus, max_length=16),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # contracts already in flight or finished take their place in the lifecycle
        ops.RunSQL("UPDATE contract SET render_status = 'done' WHERE status <> 'draft'"),
        ops.RunSQL("UPDATE contract SET render_status = 'failed', render_error_code = 'RENDER_FAILED' WHERE status = 'draft' AND error IS NOT NULL"),
        ops.RunSQL("UPDATE contract SET render_status = 'pending', render_requested_at = created_at "
                   "WHERE status = 'draft' AND error IS NULL AND render_job_id IS NOT NULL"),
    ]
