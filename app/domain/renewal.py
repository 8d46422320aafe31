"""无还本续贷 (renewal without repaying principal, 借新还旧): who may renew, and when. Pure.

A loan of a business-purpose product (`Product.renewable`: 农户生产经营, 个体工商户, 小微企业) is renewed at maturity:
the old loan's interest, penalty and compound interest are paid in cash first (never capitalised into the new loan),
then a new loan of the same principal repays the old principal with no cash movement. Refused, in Chinese, when:

- the product is not a business-purpose (renewable) product, or the loan is a 随借随还 drawdown;
- today is outside the window: from `window_days` before maturity to the maturity date itself;
- the loan is not 正常 (normal class);
- any installment of the last `clean_months` months was paid late or is unpaid after its due date;
- the customer's strategy decision for the product is missing, not a pass, or older than `strategy_days`;
- interest, penalty or compound interest is still owed (including interest accrued and not yet due).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import ValidationError
from app.domain.money import Money
from app.domain.vocabulary import LoanClass, RepaymentMethod, RiskOutcome


@dataclass(frozen=True, slots=True)
class RenewalPolicy:
    window_days: int = 0  # days before maturity a renewal may be asked for (0: on the maturity date only)
    clean_months: int = 12  # no installment paid late or left unpaid in this many months before today
    strategy_days: int = 30  # the strategy pass must be at most this many days old ("fresh")
    business_tz: str = "Asia/Shanghai"  # the zone in which a strategy decision's instant becomes its business date


DEFAULT_POLICY = RenewalPolicy()


def check_renewal(
    *,
    renewable: bool,
    method: RepaymentMethod | str,
    today: date,
    maturity_on: date,
    classification: LoanClass | str,
    late_in_period: int,
    strategy: RiskOutcome | str | None,
    strategy_on: date | None,
    owed_interest_fen: int,
    policy: RenewalPolicy = DEFAULT_POLICY,
) -> None:
    """Refuse a renewal the rules do not allow, with the reason in Chinese (field `loan_id`)."""
    if not renewable:
        raise ValidationError("该产品不是经营用途贷款产品（农户生产经营、个体工商户、小微企业），不能无还本续贷",
                              code=CommonCode.WRONG_STATUS, field="loan_id")
    if RepaymentMethod(method) is RepaymentMethod.REVOLVING:
        raise ValidationError("随借随还贷款不能无还本续贷", code=LendingCode.INVALID_METHOD, field="loan_id")
    opens = maturity_on - timedelta(days=max(policy.window_days, 0))
    if not opens <= today <= maturity_on:
        when = f"{opens.isoformat()} 至 {maturity_on.isoformat()}" if opens < maturity_on else f"到期日（{maturity_on.isoformat()}）当天"
        raise ValidationError(f"无还本续贷须在贷款到期时办理：{when}", code=CommonCode.WRONG_STATUS, field="loan_id")
    if LoanClass(classification) is not LoanClass.NORMAL:
        raise ValidationError(f"五级分类为{LoanClass(classification).label}，只有正常类贷款可以无还本续贷", code=CommonCode.WRONG_STATUS, field="loan_id")
    if late_in_period:
        raise ValidationError(f"近 {policy.clean_months} 个月内有 {late_in_period} 期逾期还款，不能无还本续贷",
                              code=LendingCode.OVERDUE_FIRST, field="loan_id")
    if strategy is None or strategy_on is None:
        raise ValidationError("客户尚无该产品的策略评估结论，请先重新进行策略评估", code=CommonCode.WRONG_STATUS, field="loan_id")
    if RiskOutcome(strategy) is not RiskOutcome.PASS:
        raise ValidationError("最近一次策略评估未通过，不能无还本续贷", code=CommonCode.WRONG_STATUS, field="loan_id")
    if (today - strategy_on).days > policy.strategy_days:
        raise ValidationError(f"策略评估结论已超过 {policy.strategy_days} 天（{strategy_on.isoformat()}），请重新进行策略评估",
                              code=CommonCode.WRONG_STATUS, field="loan_id")
    if owed_interest_fen > 0:
        raise ValidationError(f"旧贷款尚欠利息、罚息共 {Money(owed_interest_fen).format_yuan()}，须先以现金结清（不得计入新贷款）",
                              code=LendingCode.OVERDUE_FIRST, field="loan_id")
