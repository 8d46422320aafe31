from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0011_strategy_decisions')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='EodRun',
            options={'table': 'eod_run', 'app': 'models', 'pk_attr': 'id', 'table_description': "The day's close for one business date: lending steps, then the later stages, under one lease."},
        ),
        ops.AddField(
            model_name='EodRun',
            name='heartbeat_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='EodRun',
            name='owner',
            field=fields.CharField(null=True, max_length=128),
        ),
        ops.AddField(
            model_name='EodRun',
            name='stages_done',
            field=fields.JSONField(default=list, db_default=[], encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
