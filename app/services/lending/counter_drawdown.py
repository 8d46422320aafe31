"""Counter drawdown (柜面用信) above a threshold goes through maker-checker (双人复核).

An officer draws on a customer's line at the counter (the PAD's line page, GraphQL `loanDrawdown`). An amount up to
`MakerCheckerPolicy.counter_drawdown_above_fen` (`CUNXIN_MAKER_CHECKER_COUNTER_DRAWDOWN_ABOVE_YUAN`) is paid at once,
as before; a larger one is a pending command (kind `counter_drawdown`) that an approver or branch manager of the
line's branch checks (`loan.disburse_approve`). Its effect shows the line before and after and the loan's terms; at
check time the line, the customer's risk gate, the card and the core are checked again by the drawdown itself, run
with the maker's idempotency key (a core call repeated after a crash pays once). When the settings leave
`counter_drawdown` out, a large drawdown runs at once through the same command. The borrower's own drawdowns in the
app (`loanApplicationConfirm`) are not counter drawdowns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from app.crypto import Vault
from app.domain.errors import ValidationError
from app.domain.maker_checker import CommandKind, Effect, Figure, MakerCheckerPolicy
from app.domain.money import Money, percent_str
from app.domain.error_codes import CommonCode
from app.domain.permissions import Action
from app.integrations.core_banking import CoreBanking
from app.models import CreditLine, Loan, PendingCommand
from app.services.actor import SYSTEM, Actor
from app.services.lending.drawdown import _line_for, disburse_on_line, draw_down, quote_drawdown
from app.services.maker_checker.registry import Operation, Params, Subject
from app.services.permissions import require


async def _subject(actor: Actor, params: Params) -> Subject:
    line = await _line_for(actor, UUID(params["credit_line_id"]), lock=False)  # NotFound outside the maker's scope
    return Subject(line.branch.bank_id, line.branch_id, f"柜面用信 {Money(params['amount_fen']).format_yuan()}（{line.product.name}）"[:128],
                   amount_fen=int(params["amount_fen"]))


async def _preview(params: Params, today: date) -> Effect:
    quote = await quote_drawdown(actor=SYSTEM, credit_line_id=UUID(params["credit_line_id"]), amount_fen=params["amount_fen"],
                                 term_months=params["term_months"], method=params["method"], today=today)
    line, amount = quote.line, params["amount_fen"]
    rows = quote.schedule.installments
    figures = (
        Figure("额度已用", line.used_fen, line.used_fen + amount),
        Figure("可用额度", line.limit_fen - line.used_fen, line.limit_fen - line.used_fen - amount),
        Figure("本笔借款本金", 0, amount),
        Figure("执行年利率", "—", f"{percent_str(quote.annual_rate_ppm)}%", money=False),
        Figure("期数（月）", "—", str(len(rows)), money=False),
        Figure("首期应还", 0, rows[0].payment_fen),
        Figure("利息合计", 0, quote.schedule.total_interest_fen),
    )
    notes = (
        f"{quote.product.name}，{quote.tenor.label} LPR 加点，复核通过后放款至客户默认银行卡",
        f"金额超过柜面用信复核金额 {Money(params['threshold_fen']).format_yuan()}，须双人复核",
        "复核时重新检查额度、风险拦截与银行卡；核心系统拒绝时不放款、不占额度",
    )
    return Effect(f"柜面用信 {Money(amount).format_yuan()}", figures, notes)


async def _execute(actor: Actor, params: Params, today: date, *, core: CoreBanking, vault: Vault) -> dict[str, Any]:
    loan = await disburse_on_line(actor=actor, credit_line_id=UUID(params["credit_line_id"]), amount_fen=params["amount_fen"],
                                  term_months=params["term_months"], method=params["method"], idempotency_key=UUID(params["idempotency_key"]),
                                  today=today, core=core, vault=vault)
    return {"loan_id": str(loan.id), "status": loan.status.value if hasattr(loan.status, "value") else str(loan.status)}


OPERATION = Operation(CommandKind.COUNTER_DRAWDOWN, Action.LOAN_DISBURSE, Action.LOAN_DISBURSE_APPROVE, _subject, _preview, _execute,
                      ports=("core", "vault"))


async def counter_draw_down(
    *, actor: Actor, credit_line_id: UUID, amount_fen: int, term_months: int, method: str, idempotency_key: UUID, today: date, now: datetime,
    policy: MakerCheckerPolicy, core: CoreBanking, vault: Vault,
) -> Loan | PendingCommand:
    """An officer's drawdown at the counter: paid at once up to the threshold (the `Loan`), above it a pending command for
    a checker (`PendingCommand`; approved and paid at once when the settings leave `counter_drawdown` out). The same
    idempotency key returns the same request."""
    from app.services.maker_checker.commands import propose

    require(actor, Action.LOAN_DISBURSE)
    if not actor.is_officer or amount_fen <= policy.counter_drawdown_above_fen:
        return await draw_down(actor=actor, credit_line_id=credit_line_id, amount_fen=amount_fen, term_months=term_months, method=method,
                               idempotency_key=idempotency_key, today=today, core=core, vault=vault)
    if amount_fen <= 0:
        raise ValidationError("借款金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field="amount")
    key = str(idempotency_key)
    for earlier in await PendingCommand.filter(kind=CommandKind.COUNTER_DRAWDOWN, maker_id=actor.id).order_by("-created_at").limit(50):
        if earlier.params.get("idempotency_key") == key:  # the same form sent again: the first request
            return earlier
    if not await CreditLine.exists(id=credit_line_id):
        raise ValidationError("额度不存在", field="credit_line_id")
    params = {"credit_line_id": str(credit_line_id), "amount_fen": amount_fen, "term_months": term_months, "method": method,
              "idempotency_key": key, "threshold_fen": policy.counter_drawdown_above_fen, "maker_id": str(actor.id)}
    return await propose(actor=actor, kind=CommandKind.COUNTER_DRAWDOWN, params=params, reason=f"柜面用信 {Money(amount_fen).format_yuan()}",
                         today=today, now=now, policy=policy, ports={"core": core, "vault": vault})
