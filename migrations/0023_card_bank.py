"""The card's opening bank as an institution code (issue 15: the app routes by opening bank).

card_binding.bank_code and card_lookup.bank_code keep the code the core returns for a card (开户行机构编码);
card_lookup.bank is the member bank with that code (null: the card is another bank's). Existing
look-ups and bindings of "own bank" cards were bank #1's: they get bank #1 and its code.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


def _q(value) -> str:
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


async def backfill_card_banks(apps, schema_editor) -> None:
    from app.config import get_settings

    db = schema_editor.client
    code = get_settings().first_bank_code
    banks = await db.execute_query_dict(f"SELECT id FROM bank WHERE code = {_q(code)}")
    if not banks:
        return  # an empty installation: nothing was looked up yet
    own = "is_own_bank = TRUE" if db.capabilities.dialect == "postgres" else "is_own_bank = 1"
    await db.execute_script(f"UPDATE card_lookup SET bank_id = {_q(banks[0]['id'])}, bank_code = {_q(code)} WHERE {own}")
    await db.execute_script(f"UPDATE card_binding SET bank_code = {_q(code)} WHERE {own}")


class Migration(migrations.Migration):
    dependencies = [('models', '0022_banks')]

    initial = False

    operations = [
        ops.AddField(model_name='CardBinding', name='bank_code', field=fields.CharField(default='', db_default='', max_length=16)),
        ops.AddField(model_name='CardLookup', name='bank_code', field=fields.CharField(default='', db_default='', max_length=16)),
        ops.AddField(
            model_name='CardLookup', name='bank',
            field=fields.ForeignKeyField('models.Bank', source_field='bank_id', null=True, db_constraint=True, to_field='id', related_name='card_lookups', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(backfill_card_banks),
    ]
