"""CreditReport -> interchange XML (UTF-8 bytes); the inverse of `parse_report`."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree as ET

from app.domain.credit_report.model import Account, CreditReport, PersonalInfo, yuan


def _d(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _put(el: ET.Element, **attrs: str | None) -> None:
    """Set attributes in order, leaving out the ones that are None."""
    for key, value in attrs.items():
        if value is not None:
            el.set(key.rstrip("_"), value)


def to_xml(report: CreditReport, *, indent: bool = True) -> bytes:
    root = ET.Element("CreditReport")
    _put(root, version=report.version, reportId=report.report_id, reportDate=_d(report.report_date))
    q = report.query
    _put(ET.SubElement(root, "Query"), reason=q.reason, institution=q.institution, queriedAt=q.queried_at.isoformat())
    s = report.subject
    _put(ET.SubElement(root, "Subject"), name=s.name, idType=s.id_type, idNumber=s.id_number)
    if report.personal_info is not None:
        _write_personal_info(root, report.personal_info)
    if report.accounts:
        accounts = ET.SubElement(root, "Accounts")
        for account in report.accounts:
            _write_account(accounts, account)
    if report.guarantees:
        guarantees = ET.SubElement(root, "Guarantees")
        for g in report.guarantees:
            _put(
                ET.SubElement(guarantees, "Guarantee"),
                institution=g.institution,
                borrowerName=g.borrower_name,
                amount=yuan(g.amount_fen),
                balance=yuan(g.balance_fen),
                class_=str(g.five_class),
                relation=g.relation,
                reportedOn=None if g.reported_on is None else _d(g.reported_on),
            )
    if report.query_records:
        records = ET.SubElement(root, "QueryRecords")
        for r in report.query_records:
            _put(ET.SubElement(records, "Record"), on=_d(r.on), institution=r.institution, reason=r.reason)
    if report.public_records:
        records = ET.SubElement(root, "PublicRecords")
        for p in report.public_records:
            _put(
                ET.SubElement(records, "Record"),
                kind=p.kind,
                on=_d(p.on),
                amount=None if p.amount_fen is None else yuan(p.amount_fen),
                status=p.status,
            )
    if indent:
        ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _write_personal_info(root: ET.Element, info: PersonalInfo) -> None:
    el = ET.SubElement(root, "PersonalInfo")
    if info.identity is not None:
        i = info.identity
        _put(
            ET.SubElement(el, "Identity"),
            gender=i.gender,
            birthDate=_d(i.birth_date),
            maritalStatus=i.marital_status,
            phone=i.phone,
        )
    if info.spouse is not None:
        _put(ET.SubElement(el, "Spouse"), name=info.spouse.name, idNumber=info.spouse.id_number)
    if info.residence is not None:
        _put(ET.SubElement(el, "Residence"), address=info.residence.address, since=_d(info.residence.since))
    if info.employment is not None:
        e = info.employment
        _put(ET.SubElement(el, "Employment"), employer=e.employer, occupation=e.occupation, since=_d(e.since))


def _write_account(parent: ET.Element, a: Account) -> None:
    el = ET.SubElement(parent, "Account")
    _put(
        el,
        id=a.id,
        kind=a.kind.value,
        loanType=a.loan_type,
        institutionType=a.institution_type,
        institution=a.institution,
        openedOn=_d(a.opened_on),
        dueOn=None if a.due_on is None else _d(a.due_on),
        amount=yuan(a.amount_fen),
        balance=yuan(a.balance_fen),
        used=None if a.used_fen is None else yuan(a.used_fen),
        guarantee=a.guarantee,
        status=a.status,
        class_=None if a.five_class is None else str(a.five_class),
        currentOverduePeriods=str(a.current_overdue_periods),
        currentOverdueAmount=yuan(a.current_overdue_amount_fen),
        reportedOn=_d(a.reported_on),
    )
    if a.repayment is not None:
        _put(ET.SubElement(el, "Repayment"), end=str(a.repayment.end), statuses=a.repayment.statuses)
    for sp in a.specials:
        _put(
            ET.SubElement(el, "Special"),
            type=sp.type,
            on=_d(sp.on),
            amount=None if sp.amount_fen is None else yuan(sp.amount_fen),
        )
