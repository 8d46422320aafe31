"""Batch files of external data (`cunxin external-import SOURCE FILE --bank CODE [--confirm]`, issue 20).

The file is read with the portfolio import's reader (CSV in UTF-8 or GB18030, XLSX; size checked first). Every
row is checked (cells, then whose it is: a customer of the bank with that ID number and name, and a consent in force
for the source and the purpose); the rows of one person make one answer of the source, stored in the same table a
query fills (`ExternalDataQuery`, status ok) with its provenance: the file's SHA-256, name and rows, who imported
it and when. Without `confirm` nothing is written (a preview). With `confirm` the file is checked again inside
one transaction and written whole, or — at the first problem — not at all. A row of a customer without a valid
consent is refused like any bad row: it is never stored. A re-run of the same file skips the customers it
already brought in. docs/external-data.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.census import clean
from app.domain.external_data import ConsentPurpose, ExternalQueryStatus, ExternalSource, facts_to_json
from app.domain.external_import import ID_COLUMN, NAME_COLUMN, Row, check_row, combine, kind_of
from app.domain.permissions import Action
from app.domain.portfolio_import import ErrorTally, ImportFileError, RowError, cells_of, header_columns
from app.models import Bank, Customer, ExternalDataQuery
from app.services import audit
from app.services.actor import Actor
from app.services.external_data.consents import valid_consent
from app.services.permissions import require
from app.services.portfolio_import.files import check_size, read_rows, sha256_of


@dataclass
class ExternalImportResult(ErrorTally):
    source: ExternalSource
    bank_name: str
    purpose: ConsentPurpose
    rows: int = 0
    customers: int = 0  # customers the file brings data for (new ones)
    skipped: int = 0  # customers this same file was imported for before
    committed: bool = False


@dataclass(frozen=True, slots=True)
class _Planned:
    customer: Customer
    consent_id: Any
    facts: Any
    lines: list[int]


class _Refused(Exception):
    """Raised inside the confirming transaction so that nothing of the file stays."""


def _read(source: ExternalSource, path: Path, result: ExternalImportResult) -> dict[str, list[Row]]:
    """The file's checked rows by ID number (in file order); bad cells go to `result`."""
    _, kind = kind_of(source)
    header = None
    people: dict[str, list[Row]] = defaultdict(list)
    for line, raw_row in enumerate(read_rows(path), start=1):
        if not any(clean(c) for c in raw_row):
            continue
        if header is None:
            header = header_columns(kind, raw_row)
            continue
        result.rows += 1
        cells = cells_of(header, raw_row)
        id_at = header.get(ID_COLUMN)
        row, errors = check_row(source, line, cells, raw_row[id_at] if id_at is not None and id_at < len(raw_row) else "")
        if errors:
            result.add(errors)
        else:
            people[row.id_number].append(row)
    if header is None:
        raise ImportFileError("文件中没有表头和数据")
    if result.rows == 0:
        raise ImportFileError("文件中只有表头，没有数据行")
    return people


async def _plan(*, source: ExternalSource, purpose: ConsentPurpose, bank: Bank, vault: Vault, sha: str, people: dict[str, list[Row]],
                now: datetime, result: ExternalImportResult) -> list[_Planned]:
    planned = []
    for id_number, rows in people.items():
        customer = await Customer.get_or_none(bank_id=bank.id, id_number_hash=vault.lookup_hash(id_number))
        if customer is None:
            result.add([RowError(r.line, ID_COLUMN, f"{bank.name}没有该身份证号码的客户") for r in rows])
            continue
        mismatched = [r for r in rows if r.name != customer.name]
        if mismatched:
            result.add([RowError(r.line, NAME_COLUMN, "姓名与本行该身份证号码客户的姓名不一致") for r in mismatched])
            continue
        consent = await valid_consent(customer_id=customer.id, bank_id=bank.id, source=source, purpose=purpose, now=now)
        if consent is None:
            result.add([RowError(r.line, ID_COLUMN, f"客户没有有效的{source.label}数据查询授权（用途：{purpose.label}），该行不予导入")
                        for r in rows])
            continue
        facts, errors = combine(source, rows)
        if errors:
            result.add(errors)
            continue
        if await ExternalDataQuery.filter(customer_id=customer.id, source=source, import_sha256=sha).exists():
            result.skipped += 1
            continue
        planned.append(_Planned(customer=customer, consent_id=consent.id, facts=facts, lines=[r.line for r in rows]))
    return planned


async def import_external(*, actor: Actor, vault: Vault, source: ExternalSource | str, bank_code: str, path: Path, confirm: bool,
                          max_bytes: int, now: datetime, purpose: ConsentPurpose | str = ConsentPurpose.POST_LOAN) -> ExternalImportResult:
    """Check a batch file of one source for one bank (preview) or, with `confirm`, store it all or nothing."""
    source, _ = kind_of(str(getattr(source, "value", source)))
    try:
        purpose = ConsentPurpose(purpose)
    except ValueError:
        raise ImportFileError("用途应为 application（授信申请）或 post_loan（贷后监测）") from None
    path = Path(path)
    check_size(path, max_bytes)
    bank = await Bank.get_or_none(code=(bank_code or "").strip())
    if bank is None:
        raise ImportFileError(f"没有机构代码为 {bank_code} 的法人行")
    require(actor, Action.PORTFOLIO_IMPORT, branch_id=bank.head_branch_id)
    sha = sha256_of(path)
    result = ExternalImportResult(source=source, bank_name=bank.name, purpose=purpose)
    people = _read(source, path, result)
    planned = await _plan(source=source, purpose=purpose, bank=bank, vault=vault, sha=sha, people=people, now=now, result=result)
    result.customers = len(planned)
    if not confirm or result.error_count:
        return result

    written = ExternalImportResult(source=source, bank_name=bank.name, purpose=purpose)
    label = f"{actor.type.value}:{actor.display_name}"[:64]
    try:
        async with in_transaction():
            people = _read(source, path, written)
            planned = await _plan(source=source, purpose=purpose, bank=bank, vault=vault, sha=sha, people=people, now=now, result=written)
            if written.error_count:  # a consent revoked, a customer changed since the preview
                raise _Refused()
            for item in planned:
                await ExternalDataQuery.create(
                    customer=item.customer, bank_id=bank.id, consent_id=item.consent_id, source=source, purpose=purpose.value,
                    officer_id=actor.id if actor.is_officer else None, actor=label, requested_at=now, finished_at=now,
                    status=ExternalQueryStatus.OK, facts=facts_to_json(item.facts),
                    employer=item.facts.employer[:128] if source == ExternalSource.HOUSING_FUND else None,
                    import_sha256=sha, import_file=path.name[:255], import_rows=item.lines,
                )
            written.customers = len(planned)
            await audit.record(actor, f"external_import.{source.value}", "bank", bank.id, after={
                "file_sha256": sha, "file": path.name[:255], "purpose": purpose.value, "rows": written.rows,
                "customers": written.customers, "skipped": written.skipped,
            })
    except _Refused:
        written.committed = False
        return written
    written.committed = True
    return written
