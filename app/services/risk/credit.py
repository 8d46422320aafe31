"""Credit reports and decisions: pull (or reuse) a report, run the active rules, gate signing and drawdown.

A query needs a valid authorisation on file; every query is recorded before the
bureau is called (who, why, when) and finished with its outcome; a report pulled
within `reuse_days` is reused, so one visit makes one hard query. A timeout or a
refused report is recorded and raised: it never becomes a decision, let alone a pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.credit_report import MAX_BYTES, CreditReport, CreditReportError, parse_report
from app.domain.credit_report.model import HARD_QUERY_REASONS
from app.domain.error_codes import CreditCheckCode
from app.domain.errors import DomainError, ValidationError
from app.domain.rules import Decision, Hit, evaluate, explain
from app.integrations.bureau import BureauError, BureauTimeout, CreditBureau
from app.models import CreditQuery, Customer, RiskDecision
from app.domain.vocabulary import DocumentKind, ListKind
from app.models.risk import CreditQueryStatus, ListKind, RiskOutcome, RiskPurpose
from app.services import audit
from app.services.actor import Actor
from app.services.documents import MediaStore, store_document
from app.services.risk.authorisation import valid_authorisation
from app.services.risk.common import customer_in_scope, institution_name, officer_id, require_staff
from app.services.risk.lists import entries_in_force
from app.services.risk.rulesets import active_ruleset

QUERY_REASONS = ("贷款审批", "信用卡审批", "担保资格审查", "贷后管理", "本人查询", "特约商户实名审查")
DEFAULT_REASON = {RiskPurpose.SIGNING: "贷款审批", RiskPurpose.DRAWDOWN: "贷后管理"}


@dataclass(frozen=True, slots=True)
class PulledReport:
    query: CreditQuery  # the query that fetched the report (an earlier one when reused)
    report: CreditReport
    reused: bool


async def _finish(query: CreditQuery, actor: Actor, *, status: CreditQueryStatus, code: str | None = None, error: str | None = None, **extra) -> None:
    async with in_transaction():
        await CreditQuery.filter(id=query.id).update(status=status, error_code=code, error=error[:256] if error else None, **extra)
        await audit.record(
            actor,
            "credit_query.finish",
            "credit_query",
            query.id,
            after={"status": status.value, "errorCode": code, "reason": query.reason, "hard": query.hard},
        )
    await query.refresh_from_db()


async def _reusable(customer_id: UUID, media: MediaStore, *, since: datetime) -> PulledReport | None:
    previous = (
        await CreditQuery.filter(customer_id=customer_id, status=CreditQueryStatus.OK, requested_at__gte=since, report_document_id__isnull=False)
        .order_by("-requested_at")
        .prefetch_related("report_document")
        .first()
    )
    if previous is None:
        return None
    try:
        report = parse_report(media.get(previous.report_document.sha256))
    except (FileNotFoundError, CreditReportError):
        return None  # the stored copy is gone or damaged: query again
    return PulledReport(query=previous, report=report, reused=True)


async def pull_credit_report(
    *,
    actor: Actor,
    customer_id: UUID,
    reason: str,
    bureau: CreditBureau,
    media: MediaStore,
    vault: Vault,
    now: datetime,
    today: date,
    reuse_days: int,
) -> PulledReport:
    require_staff(actor)
    if reason not in QUERY_REASONS:
        raise ValidationError(f"查询原因无效：{reason}", field="reason")
    customer = await customer_in_scope(actor, customer_id)
    authorisation = await valid_authorisation(customer.id, now=now, today=today)
    if authorisation is None:
        raise DomainError("客户没有有效的征信查询授权书，不能查询征信", code=CreditCheckCode.NO_AUTHORISATION, field="customer_id")
    if reuse_days > 0:
        reused = await _reusable(customer.id, media, since=now - timedelta(days=reuse_days))
        if reused is not None:
            await audit.record(actor, "credit_query.reuse", "credit_query", reused.query.id, after={"customerId": str(customer.id), "reason": reason})
            return reused

    institution = await institution_name(customer.branch_id)
    async with in_transaction():
        query = await CreditQuery.create(
            customer=customer,
            officer_id=officer_id(actor),
            authorisation=authorisation,
            reason=reason,
            institution=institution,
            hard=reason in HARD_QUERY_REASONS,
            requested_at=now,
            status=CreditQueryStatus.PENDING,
        )
        id_number = vault.decrypt(customer.id_number_enc, context=b"id_number")
        await audit.record(actor, "customer.id_number_use", "customer", customer.id, after={"purpose": "credit_query", "creditQueryId": str(query.id)})

    try:
        xml = await bureau.fetch_report(id_number=id_number, name=customer.name, reason=reason, institution=institution)
    except BureauTimeout as exc:
        await _finish(query, actor, status=CreditQueryStatus.TIMEOUT, code=exc.code, error=exc.message)
        raise DomainError(f"征信查询超时，未取得征信报告，请稍后重试（{exc.message}）", code=CreditCheckCode.BUREAU_TIMEOUT) from None
    except BureauError as exc:
        await _finish(query, actor, status=CreditQueryStatus.FAILED, code=exc.code, error=exc.message)
        raise DomainError(f"征信查询失败：{exc.message}", code=CreditCheckCode.BUREAU_FAILED) from None
    except Exception as exc:
        await _finish(query, actor, status=CreditQueryStatus.FAILED, code="INTERNAL", error=type(exc).__name__)
        raise

    try:
        report = parse_report(xml)
    except CreditReportError as exc:
        await _finish(query, actor, status=CreditQueryStatus.FAILED, code=exc.code, error=exc.message)
        raise
    if report.subject.id_number != id_number:
        await _finish(query, actor, status=CreditQueryStatus.FAILED, code="SUBJECT_MISMATCH", error="报告主体与客户身份证号码不符")
        raise DomainError("征信报告的身份证号码与客户不符，报告未采用", code=CreditCheckCode.BUREAU_SUBJECT_MISMATCH)
    doc = await store_document(
        actor=actor,
        media=media,
        data=xml,
        kind=DocumentKind.CREDIT_REPORT,
        content_type="application/xml",
        title=f"征信报告 {report.report_id}",
        customer_id=customer.id,
        max_bytes=MAX_BYTES,
    )
    await _finish(query, actor, status=CreditQueryStatus.OK, report_document_id=doc.id, report_date=report.report_date)
    return PulledReport(query=query, report=report, reused=False)


def _list_hits(entries) -> list[Hit]:
    hits = []
    for e in entries:
        black = e.list_kind == ListKind.BLACK
        hits.append(
            Hit(
                code="BLACK_LIST" if black else "GREY_LIST",
                kind="reject" if black else "review",
                message=f"客户在{ListKind(e.list_kind).label}中：{e.reason}",
                evidence={"listEntry": str(e.id), "reason": e.reason, "expiresOn": e.expires_on.isoformat() if e.expires_on else None},
            )
        )
    return hits


def _outcome(hits: list[Hit]) -> str:
    if any(h.kind == "reject" for h in hits):
        return "reject"
    return "review" if hits else "pass"


async def check_credit(
    *,
    actor: Actor,
    customer_id: UUID,
    purpose: RiskPurpose,
    bureau: CreditBureau,
    media: MediaStore,
    vault: Vault,
    now: datetime,
    today: date,
    reuse_days: int,
    reason: str | None = None,
) -> RiskDecision:
    """Black/grey lists, then the report (pulled or reused) through the active reject rules.

    A black-listed customer is rejected without a bureau query. Bureau failures
    propagate (recorded by `pull_credit_report`) and store no decision.
    """
    require_staff(actor)
    purpose = RiskPurpose(purpose)
    customer = await customer_in_scope(actor, customer_id)
    listed = await entries_in_force(customer.id_number_hash, today=today, bank_id=customer.bank_id)
    hits = _list_hits(listed.entries)
    ruleset_row, ruleset = await active_ruleset(actor=actor, bank_id=customer.bank_id)  # the customer's bank's, else the platform default
    query = None
    if not listed.is_black:
        pulled = await pull_credit_report(
            actor=actor,
            customer_id=customer.id,
            reason=reason or DEFAULT_REASON[purpose],
            bureau=bureau,
            media=media,
            vault=vault,
            now=now,
            today=today,
            reuse_days=reuse_days,
        )
        query = pulled.query
        hits += list(evaluate(ruleset, pulled.report, today).hits)
    decision = Decision(decision=_outcome(hits), ruleset_version=ruleset.version, as_of=today, hits=tuple(hits))
    async with in_transaction():
        row = await RiskDecision.create(
            customer=customer,
            credit_query=query,
            purpose=purpose,
            ruleset_version=ruleset_row.version,
            decision=RiskOutcome(decision.decision),
            hits=[h.to_json() for h in decision.hits],
            explanation=explain(decision),
            decided_at=now,
            decided_by_id=officer_id(actor),
        )
        await audit.record(
            actor,
            "risk_decision.create",
            "risk_decision",
            row.id,
            after={
                "customerId": str(customer.id),
                "purpose": purpose.value,
                "decision": decision.decision,
                "rulesetVersion": ruleset_row.version,
                "rules": [h.code for h in decision.hits],
                "creditQueryId": str(query.id) if query else None,
            },
        )
    return row


async def latest_decision(customer_id: UUID) -> RiskDecision | None:
    return await RiskDecision.filter(customer_id=customer_id).order_by("-decided_at").first()


async def credit_gate(customer_id: UUID, purpose: RiskPurpose | str, *, today: date | None = None, customer: Customer | None = None) -> None:
    """Refuse signing or drawdown unless the customer's latest risk decision is not a reject.

    No decision at all refuses too ("NO_RISK_DECISION"); a review passes the gate (it
    goes to an approver). With `today`, a black-list entry added since the decision also refuses.
    `customer`: the customer's row when the caller has already read it (not read again).
    """
    action = RiskPurpose(purpose).label
    latest = await latest_decision(customer_id)
    if latest is None:
        raise DomainError(f"客户尚未完成征信风险检查，不能{action}", code=CreditCheckCode.NO_RISK_DECISION, field="customer_id")
    if latest.decision == RiskOutcome.REJECT:
        raise DomainError(f"征信风险检查结论为拒绝，禁止{action}。\n{latest.explanation}", code=CreditCheckCode.RISK_REJECTED, field="customer_id")
    if today is not None:
        customer = customer if customer is not None else await Customer.get(id=customer_id)
        listed = await entries_in_force(customer.id_number_hash, today=today, bank_id=customer.bank_id)
        if listed.is_black:
            raise DomainError(f"客户在黑名单中（{listed.black[0].reason}），禁止{action}", code=CreditCheckCode.RISK_REJECTED, field="customer_id")
