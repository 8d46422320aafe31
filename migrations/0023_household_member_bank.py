"""Household members per bank (issue 15): a member's ID number is unique within the bank of its village,
no longer across the platform (two member banks may each register one person in their census).

The new column `household_member.bank_id` arrives nullable, is backfilled from household → village →
branch → bank, then becomes NOT NULL; the old unique index on `id_number_hash` gives way to a unique
(bank, id_number_hash).
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint


def _bank_fk(null: bool):
    return fields.ForeignKeyField('models.Bank', source_field='bank_id', null=null, db_constraint=True, to_field='id', related_name='household_members', on_delete=OnDelete.RESTRICT)


async def backfill_member_banks(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(
        "UPDATE household_member SET bank_id = (SELECT b.bank_id FROM household h JOIN village v ON v.id = h.village_id "
        "JOIN branch b ON b.id = v.branch_id WHERE h.id = household_member.household_id)"
    )


async def _sqlite_foreign_keys_off(apps, schema_editor) -> None:
    """SQLite rebuilds a table to change a column, and dropping the old one trips the rows that point at it."""
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script("PRAGMA foreign_keys = OFF")


async def _sqlite_foreign_keys_on(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        broken = await schema_editor.client.execute_query_dict("PRAGMA foreign_key_check")
        await schema_editor.client.execute_script("PRAGMA foreign_keys = ON")
        if broken:
            raise RuntimeError(f"0023: foreign keys broken after the table rebuilds: {broken[:5]}")


def _on_sqlite() -> bool:
    from app.config import get_settings

    return get_settings().db_url.startswith("sqlite")


class Migration(migrations.Migration):
    dependencies = [('models', '0022_banks')]

    initial = False
    # as 0022: on SQLite the steps run one by one (PRAGMA foreign_keys is ignored inside a transaction)
    atomic = not _on_sqlite()

    operations = [
        ops.RunPython(_sqlite_foreign_keys_off),
        ops.AddField(model_name='HouseholdMember', name='bank', field=_bank_fk(True)),
        ops.RunPython(backfill_member_banks),
        ops.AlterField(model_name='HouseholdMember', name='bank', field=_bank_fk(False)),
        ops.AlterField(model_name='HouseholdMember', name='id_number_hash', field=fields.CharField(max_length=64)),
        ops.AddConstraint(model_name='HouseholdMember', constraint=UniqueConstraint(fields=('bank', 'id_number_hash'), name=None)),
        ops.RunPython(_sqlite_foreign_keys_on),
    ]
