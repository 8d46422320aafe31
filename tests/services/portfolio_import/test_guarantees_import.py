"""Portfolio import of 联保 groups and their members' guarantees (issue 18): checked per row and per group against the
group policy, all or nothing, idempotent by source key; a migrated guarantee counts in the guarantor's exposure."""

import csv
import io
from datetime import UTC, datetime

from app.domain.portfolio_import import GUARANTEES
from app.models import AuditEvent, Bank, GuaranteeGroup, GuaranteeMember, ImportRecord, ImportRun, Officer
from app.services.actor import SYSTEM
from app.services.guarantees import GroupPolicy, guarantee_exposure_fen, guarantees_of_loan
from app.services.lending.lines import live_lines
from app.services.portfolio_import import import_guarantees, import_loans, runs
from tests.fakes import FakeJobQueue
from tests.services.portfolio_import.legacy_book import VILLAGE
from tests.services.portfolio_import.test_loans_import import BANK, MAX, _book_without_loans, _run

POLICY = GroupPolicy(min_households=3, max_households=4, max_groups_per_household=1)


def _file(tmp_path, rows, name="guarantees.csv"):
    out = io.StringIO(newline="")
    csv.writer(out).writerows([GUARANTEES.headers, *rows])
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode("utf-8-sig"))
    return path


def _row(n, group="LB001", loans="", contract=None, household=None, customer=None, status="有效"):
    return [f"G{n:04d}", group, f"第{group}联保小组", VILLAGE, household or f"91{n:02d}", customer or f"C{n:04d}", "50000",
            contract or f"BZ-{group}-{n}", "2025-03-01", "2025-03-01", status, loans]


async def _import(path, vault, confirm, policy=POLICY):
    return await import_guarantees(actor=SYSTEM, vault=vault, bank_code=BANK, path=path, confirm=confirm, max_bytes=MAX, policy=policy)


async def _book(vault, tmp_path):
    on, book = await _book_without_loans(vault, tmp_path)
    assert (await _run(import_loans, book.loans, confirm=True, vault=vault)).committed
    return on, book


async def test_a_group_imports_with_migrated_contracts_counts_in_exposure_and_a_rerun_adds_nothing(demo, vault, tmp_path):
    await _book(vault, tmp_path)
    path = _file(tmp_path, [_row(1, loans="D0002;D0003"), _row(2, loans="D0001"), _row(3)])
    preview = await _import(path, vault, confirm=False)
    assert [str(e) for e in preview.errors] == [] and (preview.rows, preview.new, preview.committed) == (3, 3, False)
    assert await GuaranteeGroup.all().count() == 0

    done = await _import(path, vault, confirm=True)
    assert (done.new, done.committed) == (3, True)
    group = await GuaranteeGroup.get()
    assert (group.name, group.status, group.formed_on.isoformat()) == ("第LB001联保小组", "active", "2025-03-01")
    members = await GuaranteeMember.filter(group_id=group.id).prefetch_related("customer")
    assert sorted(m.contract_no for m in members) == ["BZ-LB001-1", "BZ-LB001-2", "BZ-LB001-3"]
    assert all(m.document_id is None and m.contract_sha256 == "" and m.status == "active" and m.amount_fen == 50_000_00 for m in members)
    assert await ImportRecord.filter(kind="guarantees").count() == 3 and await ImportRecord.filter(kind="guarantee_groups", source_key="LB001").count() == 1
    # the guarantor's contingent exposure counts the migrated guarantee as a native one
    first = next(m for m in members if m.contract_no == "BZ-LB001-1")
    assert await guarantee_exposure_fen([first.customer_id]) == 50_000_00
    record = await ImportRecord.get(kind="loans", source_key="D0002")
    backers = await guarantees_of_loan(SYSTEM, record.entity_id)
    assert len(backers) == 2 and first.customer_id in {b.customer_id for b in backers}
    assert await AuditEvent.filter(action="import.guarantees").count() == 1

    again = await _import(path, vault, confirm=True)
    assert (again.new, again.skipped, again.committed) == (0, 3, True)
    assert await GuaranteeMember.all().count() == 3


async def test_bad_rows_and_groups_are_refused_in_chinese_and_nothing_is_written(demo, vault, tmp_path):
    await _book(vault, tmp_path)
    rows = [
        _row(1, customer="C0099"),  # unknown customer
        _row(2, loans="D0099"),  # unknown loan
        _row(3, loans="D0003"),  # its own loan
        _row(4, group="LB002"), _row(5, group="LB002"),  # a group of 2: below the minimum of 3
    ]
    result = await _import(_file(tmp_path, rows), vault, confirm=True)
    messages = [str(e) for e in result.errors]
    assert not result.committed
    assert any("第 2 行「客户编号」" in m and "找不到客户编号为 C0099" in m for m in messages)
    assert any("第 3 行「被担保贷款编号」" in m and "D0099" in m for m in messages)
    assert any("第 5 行「联保小组编号」" in m and "有 2 户，应为 3–4 户" in m for m in messages)
    assert await GuaranteeGroup.all().count() == 0 and await GuaranteeMember.all().count() == 0

    own = await _import(_file(tmp_path, [_row(1), _row(2), _row(3, loans="D0003")], "own.csv"), vault, confirm=False)
    assert [str(e) for e in own.errors] == ["第 4 行「被担保贷款编号」：贷款 D0003 的借款人不是联保小组 LB001 的其他成员"]

    too_big = await _import(_file(tmp_path, [_row(n) for n in range(1, 6)], "big.csv"), vault, confirm=False)
    assert any("有 5 户，应为 3–4 户" in str(e) for e in too_big.errors)

    dup = await _import(_file(tmp_path, [_row(1), _row(2, contract="BZ-LB001-1"), _row(3), _row(1)], "dup.csv"), vault, confirm=False)
    dup_messages = [str(e) for e in dup.errors]
    assert "第 3 行「保证合同编号」：与第 2 行的保证合同编号重复" in dup_messages
    assert "第 5 行「担保编号」：与第 2 行的担保编号重复" in dup_messages


async def test_a_household_in_too_many_active_groups_is_refused(demo, vault, tmp_path):
    await _book(vault, tmp_path)
    assert (await _import(_file(tmp_path, [_row(1), _row(2), _row(3)]), vault, confirm=True)).committed
    # household 9101 is already in LB001 (one active group per household)
    second = await _import(_file(tmp_path, [_row(4, group="LB002"), _row(5, group="LB002"), _row(6, group="LB002", household="9101", customer="C0001",
                                                                                                        contract="BZ-X")], "second.csv"), vault, confirm=True)
    assert not second.committed
    assert any("第 4 行「户号」" in str(e) and "每户最多加入 1 个" in str(e) for e in second.errors)
    # and a group already imported takes no new members
    more = await _import(_file(tmp_path, [_row(9, household="9104", customer="C0004", contract="BZ-Y")], "more.csv"), vault, confirm=False)
    assert any("联保小组 LB001 已导入，不能追加成员" in str(e) for e in more.errors)
    assert await GuaranteeGroup.all().count() == 1


async def test_a_migrated_guarantee_counts_towards_the_exposure_cap_as_a_native_one(demo, vault, tmp_path):
    on, _ = await _book(vault, tmp_path)
    assert (await _import(_file(tmp_path, [_row(1), _row(2), _row(3)]), vault, confirm=True)).committed
    customer = (await ImportRecord.get(kind="customers", source_key="C0001")).entity_id
    guarantee = [line for line in await live_lines(customer, on=on) if line.guarantee]
    assert [(line.product_name, line.limit_fen, line.own) for line in guarantee] == [("对外担保", 50_000_00, False)]


async def test_the_admin_pages_run_checks_groups_against_the_policy_it_is_given(demo, vault, tmp_path):
    """The worker passes the settings' group policy (CUNXIN_GUARANTEE_*) as the CLI does: a group of 3 passes a 3–4 policy."""
    await _book(vault, tmp_path)
    bank = await Bank.get(code=BANK)
    admin = await Officer.get(username="admin")
    staging = tmp_path / "imports"
    (staging / str(bank.id)).mkdir(parents=True)
    token = "0123456789abcdef0123456789abcdef.csv"
    _file(staging / str(bank.id), [_row(1), _row(2), _row(3)], token)
    run = await ImportRun.create(bank_id=bank.id, officer_id=admin.id, kind="guarantees", token=token, confirm=True)
    done = await runs.execute_run(run_id=run.id, vault=vault, staging=staging, max_bytes=MAX, queue=FakeJobQueue(), now=datetime.now(UTC),
                                  guarantee_policy=POLICY)
    assert done.result["error_count"] == 0 and done.result["committed"] is True
    assert await GuaranteeMember.filter(status="active").count() == 3
