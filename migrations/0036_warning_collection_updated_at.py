"""`updated_at` on early_warning and collection_task (issue 16): when the row last changed (a warning raised, handled or
dismissed; a task opened, an action recorded, closed), for incremental sync of the reporting tables.

Existing rows take their creation time; a warning already handled its handling time, a task with actions its last
action's time. Index (updated_at, id) for keyset paging.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


async def backfill_updated_at(apps, schema_editor) -> None:
    run = schema_editor.client.execute_script
    await run("UPDATE early_warning SET updated_at = COALESCE(handled_at, created_at)")
    await run("UPDATE collection_task SET updated_at = created_at")
    await run("UPDATE collection_task SET updated_at = (SELECT MAX(a.at) FROM collection_action a WHERE a.task_id = collection_task.id)"
              " WHERE EXISTS (SELECT 1 FROM collection_action a WHERE a.task_id = collection_task.id AND a.at > collection_task.updated_at)")
    for table in ("early_warning", "collection_task"):
        await run(f"CREATE INDEX IF NOT EXISTS idx_{table}_updated_at_id ON {table} (updated_at, id)")


class Migration(migrations.Migration):
    dependencies = [('models', '0035_report_key_pii')]

    initial = False

    operations = [
        ops.AddField(model_name='EarlyWarning', name='updated_at', field=fields.DatetimeField(auto_now=True, null=True)),
        ops.AddField(model_name='CollectionTask', name='updated_at', field=fields.DatetimeField(auto_now=True, null=True)),
        ops.RunPython(backfill_updated_at),
    ]
