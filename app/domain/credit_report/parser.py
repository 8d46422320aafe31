"""Hardened parser: interchange XML (docs/credit-report-1.0.md) -> CreditReport.

Defence in depth, cheapest first:
1. size cap (5 MB) before anything else looks at the bytes;
2. byte-level checks: UTF-8 only, no DOCTYPE, no ENTITY declaration, no
   processing instruction other than the XML declaration;
3. defusedxml's parser with DTDs, entities and external references forbidden,
   plus our own processing-instruction handler and an element depth cap (16; a report
   is 4 deep): 650,000 nested elements would otherwise cost 255 MB before any check;
4. strict reading of every attribute the rules depend on (dates, money, codes,
   the 60-symbol status strings); unknown elements and attributes are ignored.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml.common import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from app.domain import idcard
from app.domain.credit_report.errors import CreditReportError
from app.domain.credit_report.model import (
    ACCOUNT_STATUS_NAMES,
    FIVE_CLASS_NAMES,
    STATUS_STRING_LENGTH,
    SYMBOLS,
    Account,
    AccountKind,
    CreditReport,
    Employment,
    Guarantee,
    Identity,
    PersonalInfo,
    PublicRecord,
    Query,
    QueryRecord,
    Repayment,
    Residence,
    Special,
    Spouse,
    Subject,
    YearMonth,
)
from app.domain.error_codes import CommonCode, CreditReportCode

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 16
SUPPORTED_MAJOR_VERSION = 1

_UTF8_BOM = b"\xef\xbb\xbf"
_XML_DECL = re.compile(rb"<\?xml[ \t\r\n][^>]*?\?>")
_DECL_ENCODING = re.compile(rb"""encoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z0-9._-]+)["']""")
_VERSION = re.compile(r"^(\d{1,3})\.(\d{1,3})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_MONEY = re.compile(r"^(\d{1,13})(?:\.(\d{1,2}))?$")
_COUNT = re.compile(r"^\d{1,4}$")


def parse_report(data: bytes) -> CreditReport:
    """Parse one report; raise CreditReportError (code + Chinese message) on refusal."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_report expects bytes")
    if len(data) > MAX_BYTES:
        raise CreditReportError("征信报告超过 5 MB，拒绝解析", code=CommonCode.TOO_LARGE)
    raw = bytes(data)
    _check_bytes(raw)
    root = _parse_xml(raw)
    return _read_report(root)


# --- layers 1-3: bytes and XML ------------------------------------------------------------


def _check_bytes(raw: bytes) -> None:
    body = raw[3:] if raw.startswith(_UTF8_BOM) else raw
    if body.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in body:
        raise CreditReportError("征信报告必须使用 UTF-8 编码", code=CreditReportCode.BAD_ENCODING)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise CreditReportError("征信报告必须使用 UTF-8 编码", code=CreditReportCode.BAD_ENCODING) from None
    pi_from = 0
    decl = _XML_DECL.match(body)
    if decl is not None:
        enc = _DECL_ENCODING.search(decl.group(0))
        if enc is not None and enc.group(1).lower() not in (b"utf-8", b"utf8"):
            raise CreditReportError("征信报告必须使用 UTF-8 编码", code=CreditReportCode.BAD_ENCODING)
        pi_from = decl.end()
    if b"<!DOCTYPE" in body:
        raise CreditReportError("征信报告不得包含文档类型定义（DTD）", code=CreditReportCode.DTD_FORBIDDEN)
    if b"<!ENTITY" in body:
        raise CreditReportError("征信报告不得包含实体声明", code=CreditReportCode.ENTITIES_FORBIDDEN)
    if body.find(b"<?", pi_from) != -1:
        raise CreditReportError("征信报告不得包含处理指令", code=CreditReportCode.PI_FORBIDDEN)


def _refuse_pi(target: str, data: str) -> None:
    raise CreditReportError("征信报告不得包含处理指令", code=CreditReportCode.PI_FORBIDDEN)


class _DepthCappedBuilder(TreeBuilder):
    """A TreeBuilder that stops the parse as soon as elements nest deeper than MAX_DEPTH."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0

    def start(self, tag, attrs):  # type: ignore[no-untyped-def]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise CreditReportError(f"征信报告的元素嵌套超过 {MAX_DEPTH} 层，拒绝解析", code=CreditReportCode.TOO_DEEP)
        return super().start(tag, attrs)

    def end(self, tag):  # type: ignore[no-untyped-def]
        self._depth -= 1
        return super().end(tag)


def _parse_xml(raw: bytes) -> Element:
    parser = DefusedXMLParser(target=_DepthCappedBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.parser.ProcessingInstructionHandler = _refuse_pi
    try:
        parser.feed(raw)
        root = parser.close()
    except DTDForbidden:
        raise CreditReportError("征信报告不得包含文档类型定义（DTD）", code=CreditReportCode.DTD_FORBIDDEN) from None
    except (EntitiesForbidden, ExternalReferenceForbidden):
        raise CreditReportError("征信报告不得包含实体声明或外部引用", code=CreditReportCode.ENTITIES_FORBIDDEN) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise CreditReportError(
            f"征信报告不是格式正确的 XML（第 {line} 行第 {column + 1} 列）", code=CreditReportCode.MALFORMED
        ) from None
    if root.tag != "CreditReport":
        raise CreditReportError("根元素应为 CreditReport", code=CreditReportCode.WRONG_ROOT)
    return root


# --- layer 4: values ----------------------------------------------------------------------


def _required(el: Element, name: str, where: str) -> str:
    value = el.get(name)
    if value is None or value.strip() == "":
        raise CreditReportError(f"{where} 缺少必需的属性 {name}", code=CreditReportCode.MISSING_ATTRIBUTE, field=f"{where}@{name}")
    return value


def _child(el: Element, tag: str, where: str) -> Element:
    found = el.find(tag)
    if found is None:
        raise CreditReportError(f"{where} 缺少必需的元素 {tag}", code=CreditReportCode.MISSING_ELEMENT, field=f"{where}/{tag}")
    return found


def _date(value: str, field: str) -> date:
    m = _DATE.match(value)
    if m is not None:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise CreditReportError(f"{field} 不是有效日期（应为 YYYY-MM-DD）：{value[:40]}", code=CreditReportCode.BAD_DATE, field=field)


def _opt_date(el: Element, name: str, where: str) -> date | None:
    value = el.get(name, "")
    return _date(value, f"{where}@{name}") if value.strip() else None


def _req_date(el: Element, name: str, where: str) -> date:
    return _date(_required(el, name, where), f"{where}@{name}")


def _month(value: str, field: str) -> YearMonth:
    m = _MONTH.match(value)
    if m is not None and 1 <= int(m.group(2)) <= 12 and int(m.group(1)) >= 1:
        return YearMonth(int(m.group(1)), int(m.group(2)))
    raise CreditReportError(f"{field} 不是有效月份（应为 YYYY-MM）：{value[:40]}", code=CreditReportCode.BAD_DATE, field=field)


def _fen(value: str, field: str) -> int:
    m = _MONEY.match(value)
    if m is None:
        raise CreditReportError(f"{field} 不是有效金额（元，最多两位小数）：{value[:40]}", code=CreditReportCode.BAD_MONEY, field=field)
    cents = (m.group(2) or "").ljust(2, "0")
    return int(m.group(1)) * 100 + int(cents)


def _req_fen(el: Element, name: str, where: str) -> int:
    return _fen(_required(el, name, where), f"{where}@{name}")


def _opt_fen(el: Element, name: str, where: str) -> int | None:
    value = el.get(name, "")
    return _fen(value, f"{where}@{name}") if value.strip() else None


def _count(el: Element, name: str, where: str) -> int:
    value = _required(el, name, where)
    if _COUNT.match(value) is None:
        raise CreditReportError(f"{where}@{name} 应为非负整数：{value[:40]}", code=CreditReportCode.BAD_NUMBER, field=f"{where}@{name}")
    return int(value)


def _five_class(value: str, field: str) -> int:
    if value.isdigit() and int(value) in FIVE_CLASS_NAMES:
        return int(value)
    raise CreditReportError(f"{field} 不是有效的五级分类代码：{value[:40]}", code=CreditReportCode.BAD_VALUE, field=field)


def _text(el: Element | None, name: str) -> str:
    return "" if el is None else el.get(name, "")


# --- sections -----------------------------------------------------------------------------


def _read_report(root: Element) -> CreditReport:
    where = "CreditReport"
    version = _required(root, "version", where)
    m = _VERSION.match(version)
    if m is None or int(m.group(1)) != SUPPORTED_MAJOR_VERSION:
        raise CreditReportError(
            f"不支持的征信报告格式版本：{version[:20]}（支持 1.x）", code=CreditReportCode.UNSUPPORTED_VERSION, field="CreditReport@version"
        )
    report_id = _required(root, "reportId", where)
    report_date = _req_date(root, "reportDate", where)

    q = _child(root, "Query", where)
    queried_at_text = _required(q, "queriedAt", "Query")
    try:
        queried_at = datetime.fromisoformat(queried_at_text)
    except ValueError:
        raise CreditReportError(
            f"Query@queriedAt 不是有效时间：{queried_at_text[:40]}", code=CreditReportCode.BAD_DATE, field="Query@queriedAt"
        ) from None
    query = Query(reason=_required(q, "reason", "Query"), institution=q.get("institution", ""), queried_at=queried_at)

    s = _child(root, "Subject", where)
    id_type = _required(s, "idType", "Subject")
    id_number = _required(s, "idNumber", "Subject")
    if id_type == "身份证":
        try:
            id_number = idcard.parse(id_number).number
        except ValueError as exc:
            raise CreditReportError(
                f"Subject@idNumber 不是有效的身份证号码：{exc}", code=CreditReportCode.BAD_ID_NUMBER, field="Subject@idNumber"
            ) from None
    subject = Subject(name=_required(s, "name", "Subject"), id_type=id_type, id_number=id_number)

    accounts = tuple(_read_account(el) for el in _section(root, "Accounts", "Account"))
    seen: set[str] = set()
    for account in accounts:
        if account.id in seen:
            raise CreditReportError(f"账户编号重复：{account.id}", code=CreditReportCode.DUPLICATE_ACCOUNT, field=f"Account[{account.id}]")
        seen.add(account.id)

    return CreditReport(
        version=version,
        report_id=report_id,
        report_date=report_date,
        query=query,
        subject=subject,
        personal_info=_read_personal_info(root.find("PersonalInfo")),
        accounts=accounts,
        guarantees=tuple(
            _read_guarantee(el, f"Guarantee[{i}]")
            for i, el in enumerate(_section(root, "Guarantees", "Guarantee"), start=1)
        ),
        query_records=tuple(
            _read_query_record(el, f"QueryRecords/Record[{i}]")
            for i, el in enumerate(_section(root, "QueryRecords", "Record"), start=1)
        ),
        public_records=tuple(
            _read_public_record(el, f"PublicRecords/Record[{i}]")
            for i, el in enumerate(_section(root, "PublicRecords", "Record"), start=1)
        ),
    )


def _section(root: Element, section: str, item: str) -> list[Element]:
    container = root.find(section)
    return [] if container is None else container.findall(item)


def _read_personal_info(el: Element | None) -> PersonalInfo | None:
    if el is None:
        return None
    where = "PersonalInfo"
    identity = el.find("Identity")
    spouse = el.find("Spouse")
    residence = el.find("Residence")
    employment = el.find("Employment")
    return PersonalInfo(
        identity=None
        if identity is None
        else Identity(
            gender=_text(identity, "gender"),
            birth_date=_opt_date(identity, "birthDate", f"{where}/Identity"),
            marital_status=_text(identity, "maritalStatus"),
            phone=_text(identity, "phone"),
        ),
        spouse=None if spouse is None else Spouse(name=_text(spouse, "name"), id_number=_text(spouse, "idNumber")),
        residence=None
        if residence is None
        else Residence(address=_text(residence, "address"), since=_opt_date(residence, "since", f"{where}/Residence")),
        employment=None
        if employment is None
        else Employment(
            employer=_text(employment, "employer"),
            occupation=_text(employment, "occupation"),
            since=_opt_date(employment, "since", f"{where}/Employment"),
        ),
    )


def _read_account(el: Element) -> Account:
    account_id = _required(el, "id", "Account")
    where = f"Account[{account_id[:40]}]"
    kind_text = _required(el, "kind", where)
    try:
        kind = AccountKind(kind_text)
    except ValueError:
        raise CreditReportError(
            f"{where}@kind 不是已知的账户类型：{kind_text[:20]}", code=CreditReportCode.BAD_VALUE, field=f"{where}@kind"
        ) from None
    status = _required(el, "status", where)
    if status not in ACCOUNT_STATUS_NAMES:
        raise CreditReportError(f"{where}@status 不是已知的账户状态：{status[:20]}", code=CreditReportCode.BAD_VALUE, field=f"{where}@status")
    class_text = el.get("class", "")
    repayment_el = el.find("Repayment")
    return Account(
        id=account_id,
        kind=kind,
        status=status,
        opened_on=_req_date(el, "openedOn", where),
        amount_fen=_req_fen(el, "amount", where),
        balance_fen=_req_fen(el, "balance", where),
        current_overdue_periods=_count(el, "currentOverduePeriods", where),
        current_overdue_amount_fen=_req_fen(el, "currentOverdueAmount", where),
        reported_on=_req_date(el, "reportedOn", where),
        loan_type=el.get("loanType") or None,
        institution_type=el.get("institutionType") or None,
        institution=el.get("institution", ""),
        due_on=_opt_date(el, "dueOn", where),
        used_fen=_opt_fen(el, "used", where),
        guarantee=el.get("guarantee") or None,
        five_class=_five_class(class_text, f"{where}@class") if class_text.strip() else None,
        repayment=None if repayment_el is None else _read_repayment(repayment_el, f"{where}/Repayment"),
        specials=tuple(_read_special(sp, f"{where}/Special") for sp in el.findall("Special")),
    )


def _read_repayment(el: Element, where: str) -> Repayment:
    end = _month(_required(el, "end", where), f"{where}@end")
    statuses = el.get("statuses")
    field = f"{where}@statuses"
    if statuses is None:
        raise CreditReportError(f"{where} 缺少必需的属性 statuses", code=CreditReportCode.MISSING_ATTRIBUTE, field=field)
    if len(statuses) != STATUS_STRING_LENGTH:
        raise CreditReportError(
            f"{field} 应恰好为 {STATUS_STRING_LENGTH} 个符号，实际为 {len(statuses)} 个", code=CreditReportCode.BAD_STATUS_STRING, field=field
        )
    unknown = sorted(set(statuses) - SYMBOLS)
    if unknown:
        shown = "、".join(repr(c) for c in unknown[:5])
        raise CreditReportError(f"{field} 含有未知的还款状态符号：{shown}", code=CreditReportCode.BAD_STATUS_STRING, field=field)
    return Repayment(end=end, statuses=statuses)


def _read_special(el: Element, where: str) -> Special:
    return Special(
        type=_required(el, "type", where), on=_req_date(el, "on", where), amount_fen=_opt_fen(el, "amount", where)
    )


def _read_guarantee(el: Element, where: str) -> Guarantee:
    return Guarantee(
        amount_fen=_req_fen(el, "amount", where),
        balance_fen=_req_fen(el, "balance", where),
        five_class=_five_class(_required(el, "class", where), f"{where}@class"),
        relation=_required(el, "relation", where),
        institution=el.get("institution", ""),
        borrower_name=el.get("borrowerName", ""),
        reported_on=_opt_date(el, "reportedOn", where),
    )


def _read_query_record(el: Element, where: str) -> QueryRecord:
    return QueryRecord(
        on=_req_date(el, "on", where), institution=el.get("institution", ""), reason=_required(el, "reason", where)
    )


def _read_public_record(el: Element, where: str) -> PublicRecord:
    return PublicRecord(
        kind=_required(el, "kind", where),
        on=_req_date(el, "on", where),
        amount_fen=_opt_fen(el, "amount", where),
        status=el.get("status", ""),
    )
