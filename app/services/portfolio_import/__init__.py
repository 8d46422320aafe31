"""Portfolio import (存量数据迁移, issue 18): one service per kind — customers, bank cards, credit lines, loans (loans.py).

Each reads one file for one member bank, streamed in chunks of CHUNK_ROWS rows (bounded memory: what is kept
for the whole file is the source keys and the errors, the first MAX_LISTED_ERRORS of them listed). Without
`confirm` it is a preview: every row is checked (cells, then the database and the rows above it in the same
file) and nothing is written. With `confirm` the file is read once, inside one transaction: each chunk is
checked so (检查) and written (写入); at the first problem writing stops, the rest of the file is still checked
(so every error is listed, as a preview lists them), and the transaction is rolled back: nothing is kept. A row whose source key was imported
before (`ImportRecord`) is skipped, so a re-run after fixing rows adds only the new ones. Identifiers are
stored like everywhere else (encrypted, lookup hash, masked). docs/import.md.

Speed: the rows of a chunk are checked against the database with one query per lookup for the whole chunk
(`prepare`: the chunk's import records, customers, cards, lines …), then each row in file order against those
and the rows above it; a confirmation buffers the chunk's new records and writes them with one bulk insert per
table (`_Context.flush`) before the next chunk is read, so a later chunk's lookups see them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import idcard
from app.domain.census import clean
from app.domain.portfolio_import import CARDS, CREDIT_LINES, CUSTOMERS, GUARANTEES, LOANS, LPR, MAX_LISTED_ERRORS, ErrorTally, ImportFileError, \
    Kind, RowError, cells_of, check_card, check_credit_line, check_customer, header_columns
from app.domain.errors import ValidationError
from app.domain.vocabulary import Relation
from app.models import Bank, BankCard, Branch, CreditLine, Customer, Household, HouseholdMember, ImportRecord, Product, Village
from app.services import audit
from app.domain.permissions import Action
from app.services.actor import Actor
from app.services.customers.identifiers import card_fields, id_number_fields, phone_fields
from app.services.guarantees import DEFAULT_POLICY as DEFAULT_GROUP_POLICY, GroupPolicy
from app.services.portfolio_import.files import check_size, read_rows, sha256_of
from app.services.permissions import require
from app.sql import execute, is_postgres

PROGRESS_EVERY = 10_000  # rows between two progress reports
CHUNK_ROWS = 1000  # rows checked against the database (and written) together
IN_BATCH = 500  # values in one `IN (...)` of a lookup

Progress = Callable[[str, int], None]  # (stage: 检查 / 写入, rows read so far)
Chunk = list[tuple[int, dict[str, str], list[object]]]  # (line, cells, raw row) of the rows of one chunk


@dataclass
class ImportResult(ErrorTally):
    kind: Kind
    bank_name: str
    rows: int = 0
    new: int = 0
    skipped: int = 0  # imported before (same source key)
    committed: bool = False


class _Refused(Exception):
    """Raised inside the confirming transaction so that nothing of the file stays."""


def batches(values: Iterable, size: int = IN_BATCH) -> Iterable[list]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


# the tables a chunk's buffered records go to, parents first (foreign keys are checked at each insert)
WRITE_ORDER = ("Customer", "Household", "HouseholdMember", "BankCard", "CreditLine", "Loan", "Installment", "LoanExtension", "LoanRisk",
               "LoanWriteOff", "LedgerTransaction", "LedgerEntry", "ImportRecord")


class _Context:
    """What one pass keeps: the bank, caches of small reference tables, the file's keys seen so far, and the current
    chunk's lookups (filled by `prepare`, emptied by `flush`) and records to write."""

    def __init__(self, bank: Bank, vault: Vault, sha: str, write: bool, progress: Progress | None = None, every: int = PROGRESS_EVERY) -> None:
        self.bank, self.vault, self.sha, self.write = bank, vault, sha, write
        self.progress, self.every = progress, every
        self.keys: dict[str, int] = {}
        self.seen: dict[str, int] = {}  # ID or card lookup hash → row
        self.heads: dict[tuple[str, str], int] = {}  # (village, household) → row of its 户主 in this file
        self.villages: dict[str, Village | None] = {}
        self.products: dict[str, Product | None] = {}
        self.already = False  # set by a handler: this row's record is already in the database, nothing to write
        self.chunk: dict = {}  # the current chunk's lookups (prepare) — emptied by flush
        self.records: dict[tuple[str, str], ImportRecord | None] = {}  # (kind, key) → its import record, for the current chunk
        self.pending: dict[str, list[Model]] = {}  # model name → records of the chunk to insert
        self.after: list[Callable[[], Awaitable]] = []  # updates of the chunk, run after its inserts
        self.refused = False  # confirming, a problem was found: nothing more is written, the transaction will be rolled back

    async def village(self, code: str) -> Village | None:
        if code not in self.villages:
            village = await Village.get_or_none(division_code=code)
            if village is not None and await Branch.filter(id=village.branch_id, bank_id=self.bank.id).exists() is False:
                village = None
            self.villages[code] = village
        return self.villages[code]

    async def product(self, code: str) -> Product | None:
        if code not in self.products:
            self.products[code] = await Product.get_or_none(bank_id=self.bank.id, code=code)
        return self.products[code]

    async def look_up(self, kind: Kind | str, keys: Iterable[str]) -> None:
        """The import records of `keys` (one query per IN_BATCH keys), for `imported` during this chunk."""
        code = getattr(kind, "code", kind)
        wanted = {k for k in keys if k and (code, k) not in self.records}
        for part in batches(wanted):
            for k in part:
                self.records[(code, k)] = None
            for record in await ImportRecord.filter(bank_id=self.bank.id, kind=code, source_key__in=part):
                self.records[(code, record.source_key)] = record

    async def imported(self, kind: Kind, key: str) -> ImportRecord | None:
        found = self.records.get((kind.code, key), False)
        if found is not False:
            return found
        return await ImportRecord.get_or_none(bank_id=self.bank.id, kind=kind.code, source_key=key)

    def add(self, record: Model) -> Model:
        """A record to insert with the chunk (its id is set already: later rows of the chunk may refer to it)."""
        self.pending.setdefault(type(record).__name__, []).append(record)
        return record

    async def record(self, kind: Kind, key: str, entity_id: UUID) -> None:
        self.add(ImportRecord(bank_id=self.bank.id, kind=kind.code, source_key=key, entity_id=entity_id, file_sha256=self.sha))

    def refuse(self) -> None:
        """A confirmation found a problem: from here on the rows are only checked (their errors listed), nothing is written."""
        if self.write:
            self.write, self.refused = False, True
            self.pending, self.after = {}, []

    async def flush(self) -> None:
        """Write the chunk's records (one bulk insert per table, parents first, then its updates); forget its lookups."""
        pending, after = self.pending, self.after
        self.pending, self.after, self.records, self.chunk = {}, [], {}, {}
        names = [n for n in WRITE_ORDER if n in pending] + [n for n in pending if n not in WRITE_ORDER]
        for name in names:
            rows = pending[name]
            await type(rows[0]).bulk_create(rows, batch_size=CHUNK_ROWS)
        for update in after:
            await update()

    async def prepare(self, kind: Kind, rows: Chunk) -> None:
        """Before the chunk's rows are checked: what they will look up, in a few queries (the kind's handler adds its own)."""
        await self.look_up(kind, (cells.get(kind.key, "") for _, cells, _ in rows))

    async def special_row(self, line: int, cells: dict[str, str], result: ImportResult) -> bool:
        """True when the row is not a record but part of the file's frame (a loans file's control row)."""
        return False

    def skipped_row(self, line: int, cells: dict[str, str]) -> None:
        """A row imported before (its key has an ImportRecord): skipped, seen here."""

    async def finish(self, result: ImportResult) -> list[RowError]:
        """After the last row: the file-wide checks (and, writing, the file-wide postings); their errors."""
        return []

    def audit_extra(self) -> dict:
        return {}

    async def customer(self, line: int, key: str) -> tuple[UUID | None, list[RowError]]:
        found = await self.imported(CUSTOMERS, key)
        if found is None:
            return None, [RowError(line, "客户编号", f"找不到客户编号为 {key} 的客户（请先导入客户文件）")]
        return found.entity_id, []

    def lookup_hash(self, value: str) -> str:
        """The vault's lookup hash, computed once per value in a chunk (prepare and the row's check both need it)."""
        hashes = self.chunk.setdefault("hashes", {})
        if value not in hashes:
            hashes[value] = self.vault.lookup_hash(value)
        return hashes[value]


def _cell_id(cells: dict[str, str], column: str, parse) -> str | None:
    try:
        return parse(cells.get(column, ""))
    except (ValueError, ValidationError):
        return None


# --- customers -----------------------------------------------------------------------------------------

async def _prepare_customers(ctx: _Context, rows: Chunk) -> None:
    hashes = set()
    places: dict[UUID, set[str]] = {}
    for _, cells, _ in rows:
        number = _cell_id(cells, "身份证号码", lambda text: idcard.parse(text).number if text else None)
        if number:
            hashes.add(ctx.lookup_hash(number))
        village = await ctx.village(cells.get("村区划代码", "")) if cells.get("村区划代码") else None
        if village is not None and cells.get("户号"):
            places.setdefault(village.id, set()).add(cells["户号"])
    existing, members = set(), {}
    for part in batches(hashes):
        existing.update(await Customer.filter(bank_id=ctx.bank.id, id_number_hash__in=part).values_list("id_number_hash", flat=True))
        for member_id, member_hash in await HouseholdMember.filter(bank_id=ctx.bank.id, id_number_hash__in=part).values_list("id", "id_number_hash"):
            members.setdefault(member_hash, member_id)
    households: dict[tuple[UUID, str], Household] = {}
    for village_id, numbers in places.items():
        for part in batches(numbers):
            for household in await Household.filter(village_id=village_id, household_no__in=part):
                households[(household.village_id, household.household_no)] = household
    heads: dict[UUID, set[str]] = {}
    for part in batches([h.id for h in households.values()]):
        for household_id, head_hash in await HouseholdMember.filter(household_id__in=part, relation=Relation.HEAD).values_list(
                "household_id", "id_number_hash"):
            heads.setdefault(household_id, set()).add(head_hash)
    ctx.chunk.update(customers=existing, members=members, households=households, heads=heads)


async def _customer_row(ctx: _Context, line: int, cells: dict[str, str], raw: dict[str, object]) -> list[RowError]:
    row, errors = check_customer(line, cells, raw.get("身份证号码"))
    if errors:
        return errors
    id_hash = ctx.lookup_hash(row["id_number"])
    if id_hash in ctx.seen:
        return [RowError(line, "身份证号码", f"与第 {ctx.seen[id_hash]} 行的身份证号码重复")]
    ctx.seen[id_hash] = line
    village = await ctx.village(row["village"])
    if village is None:
        return [RowError(line, "村区划代码", f"{ctx.bank.name}没有区划代码为 {row['village']} 的村，请先建立该村")]
    if id_hash in ctx.chunk["customers"]:
        return [RowError(line, "身份证号码", f"{ctx.bank.name}已有该身份证号码的客户，不能重复建立")]
    household = None
    if row["household"]:
        household = ctx.chunk["households"].get((village.id, row["household"]))
        place = (row["village"], row["household"])
        if row["relation"] == Relation.HEAD:
            if place in ctx.heads:
                return [RowError(line, "与户主关系", f"与第 {ctx.heads[place]} 行同属户号 {row['household']}，一户只能有一位户主")]
            ctx.heads[place] = line
            if household is not None and ctx.chunk["heads"].get(household.id, set()) - {id_hash}:
                return [RowError(line, "与户主关系", f"户号 {row['household']} 已有户主")]
    if not ctx.write:
        return []
    customer = ctx.add(Customer(
        name=row["name"], sex=row["sex"], birth_on=row["birth_on"], branch_id=village.branch_id, bank_id=ctx.bank.id, village_id=village.id,
        **id_number_fields(ctx.vault, row["id_number"]), **phone_fields(ctx.vault, row["phone"] or None),
    ))
    member_id = ctx.chunk["members"].get(id_hash)
    if member_id is not None:  # already in the census (entered by an officer or a census import): linked, not duplicated
        ctx.after.append(lambda: HouseholdMember.filter(id=member_id).update(customer_id=customer.id))
    elif row["household"]:
        if household is None:  # new: the chunk's later rows of the same household join it
            household = ctx.chunk["households"][(village.id, row["household"])] = ctx.add(Household(village_id=village.id, household_no=row["household"]))
        ctx.add(HouseholdMember(
            household_id=household.id, name=row["name"], relation=row["relation"], sex=row["sex"], birth_on=row["birth_on"], customer_id=customer.id,
            bank_id=ctx.bank.id, **id_number_fields(ctx.vault, row["id_number"]), **phone_fields(ctx.vault, row["phone"] or None),
        ))
    await ctx.record(CUSTOMERS, row["key"], customer.id)
    return []


_customer_row.prepare = _prepare_customers


# --- bank cards ----------------------------------------------------------------------------------------

async def _prepare_cards(ctx: _Context, rows: Chunk) -> None:
    await ctx.look_up(CUSTOMERS, (cells.get("客户编号", "") for _, cells, _ in rows))
    customer_ids = {r.entity_id for r in ctx.records.values() if r is not None and r.kind == CUSTOMERS.code}
    bound, defaults = set(), set()
    for part in batches(customer_ids):
        for customer_id, card_hash, is_default in await BankCard.filter(customer_id__in=part, unbound_at=None).values_list(
                "customer_id", "card_number_hash", "is_default"):
            bound.add((customer_id, card_hash))
            if is_default:
                defaults.add(customer_id)
    ctx.chunk.update(bound=bound, defaults=defaults)


async def _card_row(ctx: _Context, line: int, cells: dict[str, str], raw: dict[str, object]) -> list[RowError]:
    row, errors = check_card(line, cells, raw.get("银行卡号"))
    if errors:
        return errors
    card_hash = ctx.lookup_hash(row["card_number"])
    if card_hash in ctx.seen:
        return [RowError(line, "银行卡号", f"与第 {ctx.seen[card_hash]} 行的银行卡号重复")]
    ctx.seen[card_hash] = line
    customer_id, errors = await ctx.customer(line, row["customer"])
    if errors:
        return errors
    if (customer_id, card_hash) in ctx.chunk["bound"]:
        return [RowError(line, "银行卡号", "该客户已绑定这张银行卡")]
    if not ctx.write:
        return []
    has_default = customer_id in ctx.chunk["defaults"]
    ctx.chunk["defaults"].add(customer_id)  # the customer's next card of this file is not the default
    # not verified (四要素 + SMS): the old system's binding says nothing Cunxin can check (docs/import.md)
    card = ctx.add(BankCard(customer_id=customer_id, bank_name=row["bank_name"], is_default=not has_default, **card_fields(ctx.vault, row["card_number"])))
    await ctx.record(CARDS, row["key"], card.id)
    return []


_card_row.prepare = _prepare_cards


# --- credit lines --------------------------------------------------------------------------------------

async def _prepare_credit_lines(ctx: _Context, rows: Chunk) -> None:
    await ctx.look_up(CUSTOMERS, (cells.get("客户编号", "") for _, cells, _ in rows))
    branches = {}
    if ctx.write:
        customer_ids = {r.entity_id for r in ctx.records.values() if r is not None and r.kind == CUSTOMERS.code}
        for part in batches(customer_ids):
            branches.update(await Customer.filter(id__in=part).values_list("id", "branch_id"))
    ctx.chunk.update(branches=branches)


async def _credit_line_row(ctx: _Context, line: int, cells: dict[str, str], raw: dict[str, object]) -> list[RowError]:
    row, errors = check_credit_line(line, cells)
    if errors:
        return errors
    product = await ctx.product(row["product"])
    errors = []
    if product is None:
        errors.append(RowError(line, "产品代码", f"{ctx.bank.name}没有产品代码为 {row['product']} 的产品"))
    else:
        if row["limit_fen"] > product.max_principal_fen:
            errors.append(RowError(line, "授信金额", f"超过产品「{product.name}」的上限 {product.max_principal_fen // 100} 元"))
        if not product.min_term_months <= row["term_months"] <= product.max_term_months:
            errors.append(RowError(line, "期限（月）", f"产品「{product.name}」的期限为 {product.min_term_months}–{product.max_term_months} 个月"))
    customer_id, customer_errors = await ctx.customer(line, row["customer"])
    errors += customer_errors
    if errors or not ctx.write:
        return errors
    credit_line = ctx.add(CreditLine(
        customer_id=customer_id, product_id=product.id, branch_id=ctx.chunk["branches"][customer_id], limit_fen=row["limit_fen"],
        used_fen=row["used_fen"], valid_from=row["valid_from"], valid_until=row["valid_until"], status=row["status"],
        allowed_methods=list(product.allowed_methods), max_term_months=row["term_months"], spread_bp=row["spread_bp"],
    ))
    await ctx.record(CREDIT_LINES, row["key"], credit_line.id)
    return []


_credit_line_row.prepare = _prepare_credit_lines


async def _chunk(kind: Kind, handler, ctx: _Context, rows: Chunk, header: dict[str, int], result: ImportResult) -> None:
    """The rows of one chunk, in file order, against the chunk's lookups; then (writing) its records."""
    first = result.rows
    await ctx.prepare(kind, rows)
    prepare = getattr(handler, "prepare", None)
    if prepare is not None:
        await prepare(ctx, rows)
    for line, cells, raw_row in rows:
        if await ctx.special_row(line, cells, result):  # a loans file's control row
            continue
        result.rows += 1
        if ctx.progress is not None and result.rows % ctx.every == 0:
            ctx.progress("检查", result.rows)
        raw = {h: raw_row[i] if i < len(raw_row) else "" for h, i in header.items()}
        key = cells.get(kind.key, "")
        if key and key in ctx.keys:
            result.add([RowError(line, kind.key, f"与第 {ctx.keys[key]} 行的{kind.key}重复")])
            continue
        if key:
            ctx.keys[key] = line
        if key and await ctx.imported(kind, key) is not None:
            result.skipped += 1
            ctx.skipped_row(line, cells)
            continue
        ctx.already = False
        errors = await handler(ctx, line, cells, raw)
        if errors:
            result.add(errors)
            ctx.refuse()
        elif ctx.already:  # the handler found the record already there (an LPR fixing the system has)
            result.skipped += 1
        else:
            result.new += 1
    writing = ctx.write
    await ctx.flush()
    if writing and ctx.progress is not None:  # the chunk's rows are written
        for done in range(first - first % ctx.every + ctx.every, result.rows + 1, ctx.every):
            ctx.progress("写入", done)


async def _pass(kind: Kind, handler, ctx: _Context, path: Path, result: ImportResult) -> None:
    """One reading of the file, CHUNK_ROWS rows at a time."""
    header = None
    rows: Chunk = []
    for line, raw_row in enumerate(read_rows(path), start=1):
        if not any(clean(c) for c in raw_row):
            continue
        if header is None:
            header = header_columns(kind, raw_row)
            continue
        rows.append((line, cells_of(header, raw_row), raw_row))
        if len(rows) >= CHUNK_ROWS:
            await _chunk(kind, handler, ctx, rows, header, result)
            rows = []
    if header is None:
        raise ImportFileError("文件中没有表头和数据")
    if rows:
        await _chunk(kind, handler, ctx, rows, header, result)
    errors = await ctx.finish(result)
    if errors:
        result.add(errors)
        ctx.refuse()
    await ctx.flush()  # what finish buffered (a guarantees file's records)


async def _plans_for_each_chunk() -> None:
    """PostgreSQL: plan every lookup for its chunk's values (custom plans). A chunk's lookups are the same statement each
    time (`IN` IN_BATCH values), and after five runs the server would keep one generic plan, made while the tables were
    small and blind to the values: a scan of the whole table comparing each row with every value, slower with each chunk
    the confirmation writes (100,000 customers: about a second a lookup by the middle of the file). For this transaction only."""
    if is_postgres():
        await execute("SET LOCAL plan_cache_mode = force_custom_plan")


async def _run(kind: Kind, handler, *, actor: Actor, vault: Vault, bank_code: str, path: Path, confirm: bool, max_bytes: int,
               progress: Progress | None = None, progress_every: int = PROGRESS_EVERY, context: type[_Context] = _Context) -> ImportResult:
    path = Path(path)
    check_size(path, max_bytes)  # before anything is read
    bank = await Bank.get_or_none(code=bank_code.strip())
    if bank is None:
        raise ImportFileError(f"没有机构代码为 {bank_code} 的法人行")
    require(actor, Action.PORTFOLIO_IMPORT, branch_id=bank.head_branch_id)  # an admin imports into their own bank only
    sha = sha256_of(path)
    result = ImportResult(kind=kind, bank_name=bank.name)
    if not confirm:
        ctx = context(bank, vault, sha, write=False, progress=progress, every=progress_every)
        if is_postgres():  # a transaction (it writes nothing) only for the setting; SQLite's would hold off writers
            async with in_transaction():
                await _plans_for_each_chunk()
                await _pass(kind, handler, ctx, path, result)
        else:
            await _pass(kind, handler, ctx, path, result)
        return result
    try:
        async with in_transaction():
            await _plans_for_each_chunk()
            ctx = context(bank, vault, sha, write=True, progress=progress, every=progress_every)
            await _pass(kind, handler, ctx, path, result)
            if result.error_count:
                raise _Refused()
            await audit.record(actor, f"import.{kind.code}", "bank", bank.id,
                               after={"file_sha256": sha, "rows": result.rows, "new": result.new, "skipped": result.skipped, **ctx.audit_extra()})
    except _Refused:  # a row (or the database, changed since the preview) refused the file: nothing was kept
        result.committed = False
        return result
    result.committed = True
    return result


async def import_customers(*, actor: Actor, vault: Vault, bank_code: str, path: Path, confirm: bool, max_bytes: int, **options) -> ImportResult:
    """Customers, with their households (created when missing) and villages (which must exist at the bank)."""
    return await _run(CUSTOMERS, _customer_row, actor=actor, vault=vault, bank_code=bank_code, path=path, confirm=confirm, max_bytes=max_bytes, **options)


async def import_cards(*, actor: Actor, vault: Vault, bank_code: str, path: Path, confirm: bool, max_bytes: int, **options) -> ImportResult:
    """Bank cards of imported customers."""
    return await _run(CARDS, _card_row, actor=actor, vault=vault, bank_code=bank_code, path=path, confirm=confirm, max_bytes=max_bytes, **options)


async def import_credit_lines(*, actor: Actor, vault: Vault, bank_code: str, path: Path, confirm: bool, max_bytes: int, **options) -> ImportResult:
    """Credit lines of imported customers on the bank's products (granted, used, spread, term, status)."""
    return await _run(CREDIT_LINES, _credit_line_row, actor=actor, vault=vault, bank_code=bank_code, path=path, confirm=confirm, max_bytes=max_bytes, **options)


from app.services.portfolio_import.loans import import_loans, loan_reconciliation  # noqa: E402  (they build on the machinery above)
from app.services.portfolio_import.lpr import import_lpr  # noqa: E402
from app.services.portfolio_import.guarantees import import_guarantees  # noqa: E402

SERVICES = {CUSTOMERS.code: import_customers, CARDS.code: import_cards, CREDIT_LINES.code: import_credit_lines, LOANS.code: import_loans,
            LPR.code: import_lpr, GUARANTEES.code: import_guarantees}


async def import_kind(kind_code: str, *, guarantee_policy: GroupPolicy = DEFAULT_GROUP_POLICY, **arguments) -> ImportResult:
    """The kind's import service, as every door calls it: a guarantees file is checked against `guarantee_policy`
    (the settings' group size and groups per household), the other kinds take `arguments` only."""
    if kind_code == GUARANTEES.code:
        arguments["policy"] = guarantee_policy
    return await SERVICES[kind_code](**arguments)


__all__ = ["MAX_LISTED_ERRORS", "SERVICES", "import_kind", "ImportResult", "import_cards", "import_credit_lines", "import_customers", "import_guarantees", "import_loans", "import_lpr", "loan_reconciliation"]
