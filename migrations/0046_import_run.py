"""存量导入 (issue 18): a preview or confirmation of a staged upload run by the worker, its progress shown on the admin page."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.models.identity import JobStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0045_guarantee_pdfs')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ImportRun',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('bank', fields.ForeignKeyField('models.Bank', source_field='bank_id', db_constraint=True, to_field='id', related_name='import_runs', on_delete=OnDelete.RESTRICT)),
                ('officer', fields.ForeignKeyField('models.Officer', source_field='officer_id', db_constraint=True, to_field='id', related_name='import_runs', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharField(max_length=16)),
                ('token', fields.CharField(max_length=64)),
                ('confirm', fields.BooleanField()),
                ('status', fields.CharEnumField(default=JobStatus.PENDING, description='PENDING: pending\nRUNNING: running\nDONE: done\nFAILED: failed', enum_type=JobStatus, max_length=16)),
                ('stage', fields.CharField(default='', max_length=8)),
                ('rows_done', fields.IntField(default=0)),
                ('rows_total', fields.IntField(null=True)),
                ('result', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('job_id', fields.CharField(null=True, max_length=128)),
                ('error_code', fields.CharField(null=True, max_length=32)),
                ('error', fields.CharField(null=True, max_length=256)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('retried_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'import_run', 'app': 'models', 'pk_attr': 'id', 'table_description': "One preview or confirmation of a staged upload, run by the default worker (the admin page's progress bar)."},
            bases=['Model'],
        ),
    ]
