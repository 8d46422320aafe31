"""Black and grey lists per bank (issue 15): `list_entry.bank_id` names the member bank whose list an entry is on;
null is the platform's list, which applies at every bank.

Entries added by an officer become their bank's (the officer's branch → bank); entries added by the system
(command line, no officer) become the platform's.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


async def backfill_list_banks(apps, schema_editor) -> None:
    await schema_editor.client.execute_script(
        "UPDATE list_entry SET bank_id = (SELECT b.bank_id FROM officer o JOIN branch b ON b.id = o.branch_id "
        "WHERE o.id = list_entry.created_by_id) WHERE created_by_id IS NOT NULL"
    )


class Migration(migrations.Migration):
    dependencies = [('models', '0024_banks_rules_authority')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ListEntry', name='bank',
            field=fields.ForeignKeyField('models.Bank', source_field='bank_id', null=True, db_constraint=True, to_field='id', related_name='list_entries', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(backfill_list_banks),
    ]
