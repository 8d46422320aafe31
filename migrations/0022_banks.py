"""One platform, many banks (issue 15): the Bank table, the platform branch above every bank's head
branch, and the per-bank columns (product, customer, ledger transaction, rule-set version).

Today's data becomes bank #1: the platform node (code PLATFORM, name CUNXIN_PLATFORM_NAME) is created,
each HEAD branch becomes a bank whose tree hangs under the platform (the first one gets code
CUNXIN_FIRST_BANK_CODE, the legal name of 山西襄汾农村商业银行 and today's contract prefix SX),
every branch gets its bank, products and ledger transactions without a loan go to bank #1, customers
and loan transactions to their branch's bank; existing rule-set versions stay the platform default
(bank NULL). Then the columns become NOT NULL and product code / ID-number hash are unique per bank.
"""

from datetime import UTC, datetime
from uuid import uuid4

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

from app.domain.vocabulary import BankKind, BranchLevel

FIRST_BANK_LEGAL_NAME = "山西襄汾农村商业银行股份有限公司"
FIRST_BANK_CONTRACT_PREFIX = "SX"  # contract numbers were SX-<branch>-<date>-<hex> before banks existed


def _q(value) -> str:
    """A SQL literal (values here are UUIDs, codes and names we made or read from settings)."""
    if value is None:
        return "NULL"
    return "'" + str(value).replace("'", "''") + "'"


def _bank_fk(null: bool, related_name: str):
    return fields.ForeignKeyField('models.Bank', source_field='bank_id', null=null, db_constraint=True, to_field='id', related_name=related_name, on_delete=OnDelete.RESTRICT)


async def backfill_banks(apps, schema_editor) -> None:
    from app.config import get_settings

    settings = get_settings()
    db = schema_editor.client
    now = _q(str(datetime.now(UTC)))
    platform_id = str(uuid4())
    await db.execute_script(
        f"INSERT INTO branch (id, code, name, level, parent_id, bank_id, created_at) "
        f"VALUES ({_q(platform_id)}, 'PLATFORM', {_q(settings.platform_name)}, 'platform', NULL, NULL, {now})"
    )
    rows = await db.execute_query_dict("SELECT id, code, name, level, parent_id FROM branch WHERE id <> " + _q(platform_id) + " ORDER BY created_at, code")
    children: dict[str, list[str]] = {}
    for r in rows:
        if r["parent_id"] is not None:
            children.setdefault(str(r["parent_id"]), []).append(str(r["id"]))
    heads = [r for r in rows if r["level"] == "head"]
    first_bank = None
    for n, head in enumerate(heads):
        bank_id, head_id = str(uuid4()), str(head["id"])
        if n == 0:
            first_bank = bank_id
            code, legal_name, prefix = settings.first_bank_code, FIRST_BANK_LEGAL_NAME, FIRST_BANK_CONTRACT_PREFIX
        else:  # a second head office in today's data: its own bank, named after it (edit with care later)
            code, legal_name, prefix = head["code"], head["name"], head["code"][:16]
        await db.execute_script(
            "INSERT INTO bank (id, code, name, legal_name, kind, address, legal_representative, contract_prefix, "
            "head_branch_id, seal_cert_path, seal_key_path, is_active, created_at) VALUES ("
            f"{_q(bank_id)}, {_q(code)}, {_q(head['name'])}, {_q(legal_name)}, 'rural_commercial', '', '', {_q(prefix)}, "
            f"{_q(head_id)}, NULL, NULL, {'TRUE' if db.capabilities.dialect == 'postgres' else '1'}, {now})"
        )
        await db.execute_script(f"UPDATE branch SET parent_id = {_q(platform_id)} WHERE id = {_q(head_id)}")
        tree, stack = [], [head_id]
        while stack:
            current = stack.pop()
            tree.append(current)
            stack.extend(children.get(current, ()))
        await db.execute_script(f"UPDATE branch SET bank_id = {_q(bank_id)} WHERE id IN ({', '.join(_q(t) for t in tree)})")
    if first_bank is None:
        return  # an empty database: nothing to backfill (`cunxin seed-demo` or `cunxin bank create` makes banks)
    # branches outside every head office's tree (none in practice) belong to bank #1
    await db.execute_script(f"UPDATE branch SET bank_id = {_q(first_bank)} WHERE bank_id IS NULL AND id <> {_q(platform_id)}")
    await db.execute_script(f"UPDATE product SET bank_id = {_q(first_bank)}")
    await db.execute_script("UPDATE customer SET bank_id = (SELECT b.bank_id FROM branch b WHERE b.id = customer.branch_id)")
    await db.execute_script(
        "UPDATE ledger_transaction SET bank_id = (SELECT b.bank_id FROM loan l JOIN branch b ON b.id = l.branch_id "
        "WHERE l.id = ledger_transaction.loan_id) WHERE loan_id IS NOT NULL"
    )
    await db.execute_script(f"UPDATE ledger_transaction SET bank_id = {_q(first_bank)} WHERE bank_id IS NULL")


async def _sqlite_foreign_keys_off(apps, schema_editor) -> None:
    """SQLite rebuilds a table to change a column, and dropping the old one trips the rows that point at it."""
    if schema_editor.client.capabilities.dialect == "sqlite":
        await schema_editor.client.execute_script("PRAGMA foreign_keys = OFF")


async def _sqlite_foreign_keys_on(apps, schema_editor) -> None:
    if schema_editor.client.capabilities.dialect == "sqlite":
        broken = await schema_editor.client.execute_query_dict("PRAGMA foreign_key_check")
        await schema_editor.client.execute_script("PRAGMA foreign_keys = ON")
        if broken:
            raise RuntimeError(f"0022: foreign keys broken after the table rebuilds: {broken[:5]}")


def _on_sqlite() -> bool:
    from app.config import get_settings

    return get_settings().db_url.startswith("sqlite")


class Migration(migrations.Migration):
    dependencies = [('models', '0021_post_loan_check')]

    initial = False
    # SQLite ignores PRAGMA foreign_keys inside a transaction, so there the steps run one by one;
    # PostgreSQL alters columns in place and runs the whole migration in one transaction.
    atomic = not _on_sqlite()

    operations = [
        ops.RunPython(_sqlite_foreign_keys_off),
        ops.CreateModel(
            name='Bank',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('name', fields.CharField(max_length=64)),
                ('legal_name', fields.CharField(max_length=128)),
                ('kind', fields.CharEnumField(description='RURAL_COMMERCIAL: rural_commercial\nRURAL_CREDIT_UNION: rural_credit_union', enum_type=BankKind, max_length=24)),
                ('address', fields.CharField(default='', max_length=256)),
                ('legal_representative', fields.CharField(default='', max_length=32)),
                ('contract_prefix', fields.CharField(unique=True, max_length=16)),
                ('head_branch_id', fields.UUIDField(unique=True)),
                ('seal_cert_path', fields.CharField(null=True, max_length=256)),
                ('seal_key_path', fields.CharField(null=True, max_length=256)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'bank', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A member bank (法人行) of the platform: its own branch tree, products, customers and books.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Branch',
            name='level',
            field=fields.CharEnumField(description='PLATFORM: platform\nHEAD: head\nBRANCH: branch\nOUTLET: outlet', enum_type=BranchLevel, max_length=16),
        ),
        ops.AddField(model_name='Branch', name='bank', field=_bank_fk(True, 'branches')),
        # the per-bank columns arrive nullable, are backfilled, then become NOT NULL
        ops.AddField(model_name='Customer', name='bank', field=_bank_fk(True, 'customers')),
        ops.AddField(model_name='LedgerTransaction', name='bank', field=_bank_fk(True, 'ledger_transactions')),
        ops.AddField(model_name='Product', name='bank', field=_bank_fk(True, 'products')),
        ops.AddField(model_name='RuleSetVersion', name='bank', field=_bank_fk(True, 'rule_set_versions')),
        ops.RunPython(backfill_banks),
        ops.AlterField(model_name='Customer', name='bank', field=_bank_fk(False, 'customers')),
        ops.AlterField(model_name='LedgerTransaction', name='bank', field=_bank_fk(False, 'ledger_transactions')),
        ops.AlterField(model_name='Product', name='bank', field=_bank_fk(False, 'products')),
        # uniqueness becomes per bank
        ops.AlterField(model_name='Customer', name='id_number_hash', field=fields.CharField(max_length=64)),
        ops.AddConstraint(model_name='Customer', constraint=UniqueConstraint(fields=('bank', 'id_number_hash'), name=None)),
        ops.AlterField(model_name='Product', name='code', field=fields.CharField(max_length=32)),
        ops.AddConstraint(model_name='Product', constraint=UniqueConstraint(fields=('bank', 'code'), name=None)),
        ops.AlterModelOptions(
            name='RuleSetVersion',
            options={'table': 'rule_set_version', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One uploaded (or the shipped) version of a rule set, at most one active per kind and bank (null bank: the platform default).'},
        ),
        ops.RunPython(_sqlite_foreign_keys_on),
    ]
