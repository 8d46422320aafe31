"""Drawdown in one sitting (the app): authorise → apply (real-time credit check, amount decided) → confirm by code → disbursed.

- `sign_authorisation`: the customer agrees in the app to the credit-report
  authorisation (征信查询授权书); its text is stored as a document and the
  authorisation is filed with the customer as the actor (no officer).
- `apply`: the line, term and method are checked as for any drawdown; the amount
  is decided within the line (the requested amount, or what is still available
  if less); the money goes to the borrower's verified card opened at the bank that
  granted the line (the default card when it is that bank's; another bank's card
  is refused with the message it always got); the sandbox/real bureau is
  queried through `app.services.risk.check_credit` (purpose drawdown, a report of
  the last `reuse_days` reused), then the admission and anti-fraud strategy (a
  shared card or device, an expired ID card, lists, age) — automated decisions, so
  the risk services see the system as the actor. The worse of the two answers: a
  pass sends a one-time code by SMS; a reject or a review is stored and answered
  with an error (a review is not decided online; the borrower is not told which
  rule fired).
- `confirm`: the code (lockout after `max_attempts`) releases the disbursement
  through the existing `draw_down` service, whose idempotency key is the
  application's id: however often the app retries, one application makes one loan.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from uuid import UUID

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.error_codes import CommonCode, CreditCheckCode, CustomerCode, LendingCode, SmsCode
from app.domain.errors import Conflict, DomainError, NotFound, ValidationError
from app.domain.money import Money
from app.domain.rules import worst_outcome
from app.domain.schedule import Schedule, build_schedule, parse_method
from app.integrations.bureau import CreditBureau
from app.integrations.core_banking import CoreBanking
from app.integrations.sms import SmsError, SmsSender
from app.models import Bank, CreditAuthorisation, CreditLine, Customer, Loan, LoanApplication, Product
from app.models.borrower import ApplicationStatus
from app.domain.vocabulary import ActorType, DocumentKind, LoanStatus
from app.models.risk import RiskOutcome, RiskPurpose
from app.services import audit
from app.services.customers import identifiers
from app.services.actor import Actor
from app.services.auth.borrowers import keyed_hash, new_code
from app.services.customers.cards import NOT_YOUR_BANK, UNVERIFIED_CARD, CardView, card_at_bank, default_card, require_customer
from app.services.documents import MediaStore, store_document
from app.services.lending.drawdown import draw_down, quote_drawdown
from app.services.lending.products import conventions_for
from app.services.lending.queries import lines_visible
from app.services.org import bank_id_of_branch
from app.services.risk import check_credit, evaluate_strategy

AUTHORISATION_TEXT = """征信查询授权书（手机银行）

授权人：{name}（身份证号码 {id_masked}）
本人同意并不可撤销地授权：{institution}及其分支机构在办理本人的贷款申请、贷后管理业务时，
向中国人民银行征信中心金融信用信息基础数据库查询、打印、保存本人的信用报告，
并向其报送本人的信用信息。授权有效期至 {valid_until}。

本人已阅读并理解上述内容，于 {signed_at}（北京时间）在手机银行中确认签署。
"""


# what a person gives a member bank by applying there for the first time (its customer record is made of these)
CONSENTED_FIELDS = ("name", "sex", "birthOn", "idNumber", "phone")


class ApplicationError(DomainError):
    code = CommonCode.INVALID


@dataclass(frozen=True, slots=True)
class Application:
    """A drawdown application as every answer gives it: the stored row and the quote stored with it."""

    row: LoanApplication
    annual_rate_ppm: int | None  # the rate quoted when it was approved; None when refused
    schedule: Schedule | None  # the schedule of the approved amount quoted then; None when refused


async def answer(row: LoanApplication) -> Application:
    """The one answer about an application, built from the stored row only: the first answer, a retry with the
    same idempotency key and a read-back are identical (the schedule is rebuilt from the stored rate and date)."""
    if row.annual_rate_ppm is None or row.quoted_on is None or row.approved_fen <= 0:
        return Application(row, None, None)
    line = await CreditLine.get(id=row.credit_line_id)
    product = await Product.get(id=line.product_id)
    schedule = build_schedule(row.approved_fen, row.annual_rate_ppm, row.term_months, row.method, row.quoted_on, None, conventions_for(product))
    return Application(row, row.annual_rate_ppm, schedule)


async def customer_at_bank(*, actor: Actor, bank_id: UUID) -> tuple[Actor, Customer]:
    """The borrower's customer record at member bank `bank_id` (customers are per bank: one person, one record each).

    Linked when that bank already serves the person (same ID number); created otherwise, at the bank's head
    branch, with only what the person gives it by applying there (name, sex, date of birth, ID number, phone:
    `CONSENTED_FIELDS`), and recorded in the audit. The borrower must hold a verified card of that bank.
    Returns the actor (which now counts the new record as the person's) and the record."""
    require_customer(actor)
    if await card_at_bank(actor, bank_id) is None:
        raise ApplicationError(NOT_YOUR_BANK, code=CustomerCode.CARD_NOT_ELIGIBLE, field="bank_id")
    bank = await Bank.get(id=bank_id)
    account = await Customer.get(id=actor.id)
    if account.bank_id == bank_id:
        return actor, account
    async with in_transaction():
        record = await Customer.select_for_update().get_or_none(bank_id=bank_id, id_number_hash=account.id_number_hash)
        created = record is None
        if created:
            record = await Customer.create(
                bank_id=bank_id, branch_id=bank.head_branch_id, name=account.name, sex=account.sex, birth_on=account.birth_on,
                id_number_enc=account.id_number_enc, id_number_hash=account.id_number_hash, id_number_masked=account.id_number_masked,
                phone_enc=account.phone_enc, phone_hash=account.phone_hash, phone_masked=account.phone_masked,
            )
        await audit.record(
            actor, "customer.link_bank", "customer", record.id,
            after={"bank": bank.code, "created": created, "account": str(account.id), "consented": list(CONSENTED_FIELDS) if created else [],
                   "channel": "app"},
        )
    return replace(actor, customer_ids=actor.customer_ids | {actor.id, record.id}), record


async def sign_authorisation(
    *, actor: Actor, now: datetime, today: date, media: MediaStore, valid_days: int = 365, bank_id: UUID | None = None,
) -> CreditAuthorisation:
    """File the credit-report authorisation signed in the app: with the account's own record, or (`bank_id`)
    with the person's record at that member bank (created with their consent on the first application there)."""
    require_customer(actor)
    if bank_id is not None:
        actor, customer = await customer_at_bank(actor=actor, bank_id=bank_id)
    else:
        customer = await Customer.get(id=actor.id)
    valid_until = today + timedelta(days=valid_days)
    bank = await Bank.get_or_none(id=customer.bank_id)
    text = AUTHORISATION_TEXT.format(
        institution=bank.legal_name if bank is not None else "山西农信", name=customer.name, id_masked=customer.id_number_masked, valid_until=valid_until.isoformat(),
        signed_at=now.isoformat(timespec="seconds"),
    )
    doc = await store_document(
        actor=actor, media=media, data=text.encode(), kind=DocumentKind.AUTHORISATION,
        content_type="text/plain; charset=utf-8", title="征信查询授权书（手机银行）", customer_id=customer.id, max_bytes=64 * 1024,
    )
    async with in_transaction():
        row = await CreditAuthorisation.create(customer=customer, document=doc, signed_at=now, valid_until=valid_until, officer_id=None)
        await audit.record(
            actor, "credit_authorisation.record", "credit_authorisation", row.id,
            after={"customerId": str(customer.id), "validUntil": valid_until.isoformat(), "documentId": str(doc.id), "channel": "app"},
        )
    return row


def _risk_actor(actor: Actor) -> Actor:
    """The automated credit decision is the system's; the request id ties it to the customer's call."""
    return Actor(type=ActorType.SYSTEM, display_name=f"app-drawdown:{actor.id}", request_id=actor.request_id, ip=actor.ip)


async def _send_code(customer: Customer, actor: Actor, code: str, amount_fen: int, *, sms: SmsSender, vault: Vault, ttl: timedelta) -> None:
    if customer.phone_enc is None:
        raise ApplicationError("未登记手机号码，无法发送验证码，请联系客户经理", code=SmsCode.SMS_UNAVAILABLE)
    phone = await identifiers.reveal(vault, customer.phone_enc, kind="phone", actor=actor, entity=("customer", customer.id), purpose="drawdown_code")
    minutes = max(1, int(ttl.total_seconds() // 60))
    text = f"【村信】您正在申请借款 {Money(amount_fen).format_yuan()}，验证码 {code}，{minutes} 分钟内有效。如非本人操作，请勿告诉他人。"
    try:
        await sms.send(phone=phone, text=text, code=code)
    except SmsError:
        raise ApplicationError("短信发送失败，请稍后重新申请", code=SmsCode.SMS_UNAVAILABLE) from None


async def _decided_amount(actor: Actor, credit_line_id: UUID, requested_fen: int) -> tuple[int, str, CreditLine]:
    """Within the line: what was asked, or what is still available when that is less; the line's product; the line."""
    line = (await lines_visible(actor, [credit_line_id])).get(credit_line_id)
    if line is None:
        raise NotFound("额度不存在", field="credit_line_id")
    product_code = (await Product.get(id=line.product_id)).code
    return min(requested_fen, max(0, line.limit_fen - line.used_fen)) or requested_fen, product_code, line


async def _payout_card(actor: Actor, line: CreditLine, *, core: CoreBanking, vault: Vault, now: datetime, field: str | None) -> CardView:
    """The card the drawdown pays into: the borrower's holder-verified card opened at the bank that granted the line.

    The default card when it is that bank's; otherwise another verified card of that bank; a borrower with
    no card of the granting bank gets the message a card of another bank always got."""
    card = await default_card(actor, core=core, vault=vault, now=now)
    if card is None:
        raise ApplicationError("请先绑定本人银行卡", code=LendingCode.NO_CARD, field=field)
    granting_bank = await bank_id_of_branch(line.branch_id)
    if card.lookup is None or card.lookup.bank_id != granting_bank or not card.lookup.is_own_bank:
        other = await card_at_bank(actor, granting_bank) if granting_bank is not None else None
        if other is None:
            bank = card.lookup.bank_name if card.lookup else "未知"
            raise ApplicationError(f"放款账户须为本行银行卡（当前默认卡开户行：{bank}），请先绑定本行银行卡", code=CustomerCode.CARD_NOT_ELIGIBLE, field=field)
        card = other
    if card.card.verified_at is None:  # bound before holders were checked: the money could go to a stranger's account
        raise ApplicationError(UNVERIFIED_CARD, code=CustomerCode.CARD_NOT_VERIFIED, field=field)
    return card


async def apply(
    *,
    actor: Actor,
    credit_line_id: UUID,
    amount_fen: int,
    term_months: int,
    method: str,
    idempotency_key: UUID,
    now: datetime,
    today: date,
    bureau: CreditBureau,
    media: MediaStore,
    vault: Vault,
    sms: SmsSender,
    core: CoreBanking,
    reuse_days: int,
    code_ttl: timedelta = timedelta(minutes=5),
) -> Application:
    require_customer(actor)
    if amount_fen <= 0:
        raise ValidationError("借款金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field="amount")
    method = parse_method(method).value
    existing = await LoanApplication.get_or_none(customer_id=actor.id, idempotency_key=idempotency_key)
    if existing is not None:
        same = (existing.credit_line_id, existing.requested_fen, existing.term_months, existing.method) == (credit_line_id, amount_fen, term_months, method)
        if not same:
            raise Conflict("该幂等键已用于另一笔不同的申请", code=CommonCode.IDEMPOTENCY_KEY_REUSED, field="idempotency_key")
        _refuse_if_declined(existing)  # a repeat gets the first answer: the same refusal, or the same application
        return await answer(existing)

    decided_fen, product_code, line = await _decided_amount(actor, credit_line_id, amount_fen)
    quote = await quote_drawdown(actor=actor, credit_line_id=credit_line_id, amount_fen=decided_fen, term_months=term_months, method=method, today=today)
    card = await _payout_card(actor, line, core=core, vault=vault, now=now, field="credit_line_id")
    try:
        decision = await check_credit(
            actor=_risk_actor(actor), customer_id=line.customer_id, purpose=RiskPurpose.DRAWDOWN, bureau=bureau, media=media,
            vault=vault, now=now, today=today, reuse_days=reuse_days,
        )
    except DomainError as exc:
        if exc.code == CreditCheckCode.NO_AUTHORISATION:
            raise ApplicationError("请先阅读并签署征信查询授权书", code=CreditCheckCode.NO_AUTHORISATION) from None
        raise

    strategy = (await evaluate_strategy(actor=_risk_actor(actor), customer_id=line.customer_id, product_code=product_code, today=today, now=now,
                                        media=media, vault=vault)).record
    outcome = RiskOutcome(worst_outcome(decision.decision.value, strategy.decision.value))
    status = {RiskOutcome.PASS: ApplicationStatus.AWAITING_CODE, RiskOutcome.REVIEW: ApplicationStatus.REFERRED}.get(outcome, ApplicationStatus.REJECTED)
    messages = {
        ApplicationStatus.AWAITING_CODE: "审核通过，请输入短信验证码确认借款",
        ApplicationStatus.REFERRED: "您的申请需要客户经理进一步审核，暂不能在线放款，我们会尽快与您联系",
        ApplicationStatus.REJECTED: "很抱歉，您的借款申请未通过风险审核",
    }
    code = new_code()
    async with in_transaction():
        row = await LoanApplication.create(
            customer_id=actor.id, credit_line_id=credit_line_id, idempotency_key=idempotency_key, requested_fen=amount_fen,
            approved_fen=decided_fen if status == ApplicationStatus.AWAITING_CODE else 0, term_months=term_months, method=method,
            status=status, risk_decision=decision, strategy_decision=strategy, message=messages[status], applied_at=now,
            code_hash=keyed_hash(vault, "drawdown-code", code) if status == ApplicationStatus.AWAITING_CODE else "",
            code_expires_at=now + code_ttl if status == ApplicationStatus.AWAITING_CODE else None,
            annual_rate_ppm=quote.annual_rate_ppm if status == ApplicationStatus.AWAITING_CODE else None,
            quoted_on=today if status == ApplicationStatus.AWAITING_CODE else None,
        )
        await audit.record(
            actor, "loan_application.create", "loan_application", row.id,
            after={"status": status.value, "requestedFen": amount_fen, "approvedFen": row.approved_fen, "riskDecision": str(decision.id),
                   "strategyDecision": str(strategy.id)},
        )
    _refuse_if_declined(row)
    customer = await Customer.get(id=actor.id)
    await _send_code(customer, actor, code, decided_fen, sms=sms, vault=vault, ttl=code_ttl)
    return await answer(row)


def applications_query(actor: Actor):
    """The borrower's own drawdown applications, newest first (a borrower's applications are filed under their account)."""
    require_customer(actor)
    return LoanApplication.filter(customer_id=actor.id).order_by("-applied_at", "-id")


async def application_of(actor: Actor, application_id: UUID) -> Application | None:
    """One of the borrower's own applications as every answer gives it; None for another borrower's or an unknown id."""
    row = await applications_query(actor).get_or_none(id=application_id)
    return await answer(row) if row is not None else None


def _refuse_if_declined(row: LoanApplication) -> None:
    """The refusal of a rejected or referred application, from its stored row: the first answer and every repeat are the same."""
    if row.status == ApplicationStatus.REJECTED:
        raise ApplicationError(row.message, code=CreditCheckCode.RISK_REJECTED)
    if row.status == ApplicationStatus.REFERRED:
        raise ApplicationError(row.message, code=CreditCheckCode.REFERRED)


async def _code_failure(row: LoanApplication, actor: Actor, max_attempts: int) -> ApplicationError:
    await LoanApplication.filter(id=row.id, code_attempts__lt=max_attempts).update(code_attempts=F("code_attempts") + 1)
    attempts = (await LoanApplication.get(id=row.id)).code_attempts
    left = max(0, max_attempts - attempts)
    await audit.record(actor, "loan_application.code_failed", "loan_application", row.id, after={"attempts": attempts, "locked": left == 0})
    if left == 0:
        return ApplicationError("验证码错误次数过多，本次申请已失效，请重新申请", code=SmsCode.CODE_LOCKED, field="code")
    return ApplicationError(f"验证码错误，还可尝试 {left} 次", code=SmsCode.BAD_CODE, field="code")


async def confirm(
    *, actor: Actor, application_id: UUID, code: str, now: datetime, today: date, core: CoreBanking, vault: Vault, max_attempts: int = 5
) -> tuple[LoanApplication, Loan]:
    """Check the code and disburse; a repeat after success returns the same loan."""
    require_customer(actor)
    row = await LoanApplication.get_or_none(id=application_id, customer_id=actor.id)
    if row is None:
        raise NotFound("借款申请不存在", field="application_id")
    if row.status == ApplicationStatus.DISBURSED:
        return row, await Loan.get(id=row.loan_id)
    if row.status != ApplicationStatus.AWAITING_CODE:
        raise ApplicationError("该申请未通过审核，不能确认借款", code=LendingCode.APPLICATION_CLOSED, field="application_id")
    if row.code_attempts >= max_attempts:
        await audit.record(actor, "loan_application.code_failed", "loan_application", row.id, after={"reason": "locked"})
        raise ApplicationError("验证码错误次数过多，本次申请已失效，请重新申请", code=SmsCode.CODE_LOCKED, field="code")
    if row.code_expires_at is None or row.code_expires_at <= now:
        await audit.record(actor, "loan_application.code_failed", "loan_application", row.id, after={"reason": "expired"})
        raise ApplicationError("验证码已过期，请重新申请", code=SmsCode.CODE_EXPIRED, field="code")
    if not hmac.compare_digest(row.code_hash, keyed_hash(vault, "drawdown-code", (code or "").strip())):
        raise await _code_failure(row, actor, max_attempts)
    line = (await lines_visible(actor, [row.credit_line_id])).get(row.credit_line_id)
    if line is None:
        raise NotFound("额度不存在", field="application_id")
    card = await _payout_card(actor, line, core=core, vault=vault, now=now, field=None)
    try:
        loan = await draw_down(
            actor=actor, credit_line_id=row.credit_line_id, amount_fen=row.approved_fen, term_months=row.term_months,
            method=row.method, idempotency_key=row.id, today=today, core=core, vault=vault, card_id=card.card.id,
        )
    except DomainError as exc:
        await audit.record(actor, "loan_application.disbursement_failed", "loan_application", row.id, after={"code": exc.code})
        raise
    async with in_transaction():
        # 放款处理中 (the core's answer is not known yet) is said as such, never 未放款: the loan's statusLabel follows it
        message = {"message": "放款处理中，请稍后在借据中查看结果，请勿重复申请"} if loan.status == LoanStatus.DISBURSING else {}
        await LoanApplication.filter(id=row.id, status=ApplicationStatus.AWAITING_CODE).update(
            status=ApplicationStatus.DISBURSED, loan_id=loan.id, confirmed_at=now, **message
        )
        await audit.record(actor, "loan_application.confirm", "loan_application", row.id, after={"loanId": str(loan.id)})
    await row.refresh_from_db()
    return row, loan
