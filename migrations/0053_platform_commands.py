"""Maker-checker at the platform (issue 17): a pending command with no member bank is a platform command — a platform
admin's change of the platform default rule set, checked by a second platform admin (bank null)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


async def _sqlite_foreign_keys_off(apps, schema_editor) -> None:
    """SQLite rebuilds a table to change a column, and dropping the old one trips the rows that point at it."""
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script("PRAGMA foreign_keys = OFF")


async def _sqlite_foreign_keys_on(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        broken = await schema_editor.client.execute_query_dict("PRAGMA foreign_key_check")
        await schema_editor.client.execute_script("PRAGMA foreign_keys = ON")
        if broken:
            raise RuntimeError(f"0053: foreign keys broken after the table rebuild: {broken[:5]}")


class Migration(migrations.Migration):
    dependencies = [('models', '0052_eod_classification_policy')]

    initial = False

    operations = [
        ops.RunPython(_sqlite_foreign_keys_off),
        ops.AlterField(
            model_name='PendingCommand',
            name='bank',
            field=fields.ForeignKeyField('models.Bank', source_field='bank_id', null=True, db_constraint=True, to_field='id',
                                         related_name='pending_commands', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(_sqlite_foreign_keys_on),
    ]
