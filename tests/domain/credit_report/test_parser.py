import time
from datetime import date, datetime, timedelta, timezone

import pytest

from app.domain.credit_report import MAX_BYTES, AccountKind, CreditReportError, YearMonth, parse_report
from app.domain.credit_report import parser as parser_module
from app.domain.errors import DomainError
from tests.domain.credit_report.samples import BILLION_LAUGHS, CLEAN_60, SPEC_EXAMPLE, with_statuses


def refused(data: bytes) -> CreditReportError:
    with pytest.raises(CreditReportError) as info:
        parse_report(data)
    return info.value


# --- the spec's own example --------------------------------------------------------------


def test_parses_the_spec_example_into_typed_objects():
    # when
    report = parse_report(SPEC_EXAMPLE)
    # then
    assert report.version == "1.0"
    assert report.report_date == date(2026, 11, 29)
    assert report.query.queried_at == datetime(2026, 11, 29, 10, 2, tzinfo=timezone(timedelta(hours=8)))
    assert report.subject.id_number == "141023196803150357"
    assert report.personal_info.employment.since is None
    a1, c1 = report.accounts
    assert (a1.kind, a1.loan_type, a1.status, a1.five_class) == (AccountKind.D1, "51", "3", 1)
    assert (a1.amount_fen, a1.balance_fen) == (5_000_000, 0)
    assert a1.repayment.end == YearMonth(2026, 10)
    assert a1.repayment.symbol_at(YearMonth(2026, 3)) == "C"
    assert a1.repayment.symbol_at(YearMonth(2026, 2)) == "N"
    assert a1.specials[0].amount_fen == 1_200_000
    assert (c1.kind, c1.five_class, c1.loan_type, c1.used_fen) == (AccountKind.R2, None, None, 351_240)
    assert report.guarantees[0].balance_fen == 1_800_000
    assert [r.is_hard for r in report.query_records] == [True, True]
    assert report.public_records[0].status == "执行完毕"


def test_error_is_a_domain_error_with_code_and_field():
    err = refused(with_statuses("N" * 59))
    assert isinstance(err, DomainError)
    assert err.code == "BAD_STATUS_STRING"
    assert err.field == "Account[C1]/Repayment@statuses"
    assert "60" in err.message and "59" in err.message


# --- XML attacks ---------------------------------------------------------------------------


def test_refuses_billion_laughs():
    assert refused(BILLION_LAUGHS).code == "DTD_FORBIDDEN"


def test_refuses_external_entity_without_reading_the_file():
    doc = SPEC_EXAMPLE.replace(
        b'<CreditReport version="1.0"',
        b'<!DOCTYPE CreditReport [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<CreditReport version="1.0"',
    ).replace(b'reportId="R20261129000123"', b'reportId="&xxe;"')
    err = refused(doc)
    assert err.code == "DTD_FORBIDDEN"
    assert "root:" not in err.message


def test_refuses_external_dtd():
    doc = SPEC_EXAMPLE.replace(
        b"<CreditReport version", b'<!DOCTYPE CreditReport SYSTEM "http://example.invalid/report.dtd">\n<CreditReport version'
    )
    assert refused(doc).code == "DTD_FORBIDDEN"


def test_parser_layer_refuses_dtd_and_entities_even_without_the_byte_check():
    # defence in depth: the XML parser itself is configured to refuse them
    with pytest.raises(CreditReportError) as info:
        parser_module._parse_xml(b'<!DOCTYPE r [<!ENTITY a "x">]><r>&a;</r>')
    assert info.value.code == "DTD_FORBIDDEN"


def test_refuses_entity_declaration_outside_a_doctype():
    assert refused(b'<CreditReport><!ENTITY a "x"></CreditReport>').code == "ENTITIES_FORBIDDEN"


@pytest.mark.parametrize(
    "doc",
    [
        SPEC_EXAMPLE.replace(b"<CreditReport ", b'<?xml-stylesheet href="x.xsl"?>\n<CreditReport ', 1),
        SPEC_EXAMPLE.replace(b"<Accounts>", b"<Accounts><?php system('id'); ?>"),
        b'<?xml-stylesheet href="x.xsl"?><CreditReport version="1.0"/>',
    ],
)
def test_refuses_processing_instructions(doc):
    assert refused(doc).code == "PI_FORBIDDEN"


def test_parser_layer_refuses_processing_instructions_too():
    with pytest.raises(CreditReportError) as info:
        parser_module._parse_xml(b"<r><?pi data?></r>")
    assert info.value.code == "PI_FORBIDDEN"


def test_refuses_a_6_mb_document_before_parsing():
    # given a well-formed report padded to 6 MB with a comment
    padding = b"<!--" + b"x" * (6 * 1024 * 1024) + b"-->"
    doc = SPEC_EXAMPLE.replace(b"</CreditReport>", padding + b"</CreditReport>")
    # when
    started = time.perf_counter()
    err = refused(doc)
    # then: refused on size alone, without reading the document
    assert err.code == "TOO_LARGE"
    assert time.perf_counter() - started < 0.05


def test_accepts_a_document_of_exactly_5_mb():
    filler = MAX_BYTES - len(SPEC_EXAMPLE) - len(b"<!---->")
    doc = SPEC_EXAMPLE.replace(b"</CreditReport>", b"<!--" + b"x" * filler + b"--></CreditReport>")
    assert len(doc) == MAX_BYTES
    assert parse_report(doc).report_id == "R20261129000123"


@pytest.mark.parametrize(
    "doc",
    [
        SPEC_EXAMPLE.decode().encode("utf-16"),
        SPEC_EXAMPLE.replace(b'encoding="UTF-8"', b'encoding="GBK"'),
        SPEC_EXAMPLE.replace("王建国".encode(), "王建国".encode("gbk")),
    ],
    ids=["utf-16", "declared-gbk", "invalid-utf-8"],
)
def test_refuses_anything_but_utf8(doc):
    assert refused(doc).code == "BAD_ENCODING"


def test_accepts_a_utf8_bom():
    assert parse_report(b"\xef\xbb\xbf" + SPEC_EXAMPLE).subject.name == "王建国"


@pytest.mark.parametrize(
    "doc",
    [b"", b"<CreditReport", b"not xml", SPEC_EXAMPLE.replace(b"</Accounts>", b""), b'<CreditReport a="&undefined;"/>'],
)
def test_refuses_malformed_xml(doc):
    assert refused(doc).code == "MALFORMED"


def test_refuses_another_root_element():
    assert refused(b'<Report version="1.0"/>').code == "WRONG_ROOT"


# --- versions, structure, values ---------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0", "0.9", "1", "v1.0", "10.0"])
def test_refuses_unknown_major_versions(version):
    err = refused(SPEC_EXAMPLE.replace(b'version="1.0" reportId', f'version="{version}" reportId'.encode()))
    assert err.code == "UNSUPPORTED_VERSION"
    assert err.field == "CreditReport@version"


def test_accepts_a_later_minor_version():
    doc = SPEC_EXAMPLE.replace(b'version="1.0" reportId', b'version="1.7" reportId')
    assert parse_report(doc).version == "1.7"


def test_ignores_unknown_elements_and_attributes():
    doc = (
        SPEC_EXAMPLE.replace(b"<Accounts>", b'<Summary score="650"><Line a="1"/></Summary>\n  <Accounts>')
        .replace(b'<Account id="A1"', b'<Account futureField="x" id="A1"')
        .replace(b"</Account>", b"<Collateral kind="
                 b'"house"/></Account>', 1)
    )
    assert parse_report(doc) == parse_report(SPEC_EXAMPLE)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        (b' reportDate="2026-11-29"', b"", "CreditReport@reportDate"),
        (b' amount="50000.00" balance', b" balance", "Account[A1]@amount"),
        (b' currentOverdueAmount="0.00" reportedOn="2026-10-31">', b' reportedOn="2026-10-31">', "Account[A1]@currentOverdueAmount"),
        (b'class="1" relation', b"relation", "Guarantee[1]@class"),
        (b' reason="\xe4\xbf\xa1\xe7\x94\xa8\xe5\x8d\xa1\xe5\xae\xa1\xe6\x89\xb9"', b"", "QueryRecords/Record[2]@reason"),
        (b' end="2026-11"', b"", "Account[C1]/Repayment@end"),
        (b' idNumber="141023196803150357"', b' idNumber=" "', "Subject@idNumber"),
    ],
)
def test_refuses_missing_required_attributes(old, new, field):
    assert old in SPEC_EXAMPLE
    err = refused(SPEC_EXAMPLE.replace(old, new, 1))
    assert (err.code, err.field) == ("MISSING_ATTRIBUTE", field)


def test_refuses_missing_required_element():
    start = SPEC_EXAMPLE.index(b"  <Subject")
    end = SPEC_EXAMPLE.index(b"<PersonalInfo>")
    err = refused(SPEC_EXAMPLE[:start] + SPEC_EXAMPLE[end:])
    assert (err.code, err.field) == ("MISSING_ELEMENT", "CreditReport/Subject")


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        (b'reportDate="2026-11-29"', b'reportDate="2026-02-30"', "BAD_DATE"),
        (b'reportDate="2026-11-29"', b'reportDate="20261129"', "BAD_DATE"),
        (b'openedOn="2023-03-01"', b'openedOn="2023-3-1"', "BAD_DATE"),
        (b'end="2026-10"', b'end="2026-13"', "BAD_DATE"),
        (b'queriedAt="2026-11-29T10:02:00+08:00"', b'queriedAt="yesterday"', "BAD_DATE"),
        (b'amount="50000.00"', b'amount="50000.005"', "BAD_MONEY"),
        (b'amount="50000.00"', b'amount="-1.00"', "BAD_MONEY"),
        (b'amount="50000.00"', b'amount="5e4"', "BAD_MONEY"),
        (b'amount="50000.00"', b'amount="50,000.00"', "BAD_MONEY"),
        (b'currentOverduePeriods="0"', b'currentOverduePeriods="-1"', "BAD_NUMBER"),
        (b'kind="D1"', b'kind="D9"', "BAD_VALUE"),
        (b'status="3"', b'status="9"', "BAD_VALUE"),
        (b'class="1" currentOverduePeriods', b'class="6" currentOverduePeriods', "BAD_VALUE"),
        (b'idNumber="141023196803150357"', b'idNumber="141023196803150358"', "BAD_ID_NUMBER"),
        (b'id="C1"', b'id="A1"', "DUPLICATE_ACCOUNT"),
    ],
)
def test_refuses_bad_values(old, new, code):
    assert old in SPEC_EXAMPLE
    assert refused(SPEC_EXAMPLE.replace(old, new, 1)).code == code


def test_money_with_fewer_decimals_is_the_same_amount():
    doc = SPEC_EXAMPLE.replace(b'amount="50000.00"', b'amount="50000"').replace(b'balance="3512.40"', b'balance="3512.4"')
    report = parse_report(doc)
    assert (report.accounts[0].amount_fen, report.accounts[1].balance_fen) == (5_000_000, 351_240)


# --- status strings ------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 59, 61, 120])
def test_refuses_status_strings_not_exactly_60_symbols(length):
    err = refused(with_statuses("N" * length))
    assert err.code == "BAD_STATUS_STRING"
    assert str(length) in err.message


@pytest.mark.parametrize("symbol", ["X", "0", "n", " ", "８", "A"])
def test_refuses_unknown_status_symbols(symbol):
    err = refused(with_statuses(CLEAN_60[:-1] + symbol))
    assert err.code == "BAD_STATUS_STRING"
    assert repr(symbol) in err.message


def test_accepts_every_known_symbol():
    symbols = "N1234567BCDZGM*#/"
    statuses = (symbols * 4)[:60]
    report = parse_report(with_statuses(statuses))
    assert report.accounts[1].repayment.statuses == statuses


def test_status_string_is_measured_in_characters_not_bytes():
    # a multi-byte character in the middle makes the byte length 62 but the character count 60
    err = refused(with_statuses("N" * 30 + "正" + "N" * 29))
    assert err.code == "BAD_STATUS_STRING"
    assert "'正'" in err.message


def test_refuses_a_deeply_nested_document_without_building_it():
    # given 650,000 nested elements inside a report: under the 5 MB cap (the attack from the fault report)
    depth = 650_000
    doc = SPEC_EXAMPLE.replace(b"</CreditReport>", b"<a>" * depth + b"</a>" * depth + b"</CreditReport>")
    assert len(doc) < MAX_BYTES
    # when
    started = time.perf_counter()
    err = refused(doc)
    # then refused on depth, fast (the whole tree was never built)
    assert (err.code, err.message) == ("TOO_DEEP", "征信报告的元素嵌套超过 16 层，拒绝解析")
    assert time.perf_counter() - started < 0.5


def test_accepts_unknown_elements_nested_up_to_the_cap():
    nested = b"<x>" * 15 + b"</x>" * 15  # under the root: 16 deep, the cap
    assert parse_report(SPEC_EXAMPLE.replace(b"</CreditReport>", nested + b"</CreditReport>")).report_id == "R20261129000123"
    assert refused(SPEC_EXAMPLE.replace(b"</CreditReport>", b"<x>" * 16 + b"</x>" * 16 + b"</CreditReport>")).code == "TOO_DEEP"
