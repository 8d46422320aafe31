"""Domain enums in the schema: the names are the domain's members, the value descriptions its labels.

`strawberry.enum(cls)` would publish a domain enum with bare values; `domain_enum` does the same and
gives each value the Chinese label the domain keeps for it (`member.label`, or the domain's own label
table passed in), so the label has one home, beside its enum (tests/contract/test_vocabulary_homes.py),
and the schema shows it (tests/contract/test_schema_lint.py).

Closed sets are enums on the wire, never free strings (issue 16): a wrong value (`loans(status: "ACTIVE")`,
`loans(status: OPEN)`) is a validation error before anything runs. strawberry keeps the definition on the
domain class, so a domain enum is published once; those that more than one area uses are built below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

import strawberry

from app.domain import warnings
from app.domain.classification import FLOOR_LABELS, FloorKind, LoanClass, UpgradeProposalStatus
from app.domain.ledger import Account
from app.domain.lpr import Tenor
from app.domain.schedule.conventions import Method
from app.domain.vocabulary import (
    LEDGER_ACCOUNT_LABELS,
    CloseReason,
    CollectionStatus,
    CreditLineStatus,
    InstallmentStatus,
    LedgerKind,
    LoanStatus,
    RiskOutcome,
    RiskPurpose,
)
from app.domain.vocabulary import Role as RoleModel

E = TypeVar("E", bound=type[Enum])


def domain_enum(
    cls: E, *, description: str, name: str | None = None, labels: Mapping[Any, str] | None = None,
    explain: Callable[[Any, str], str] | None = None,
) -> E:
    """`strawberry.enum(cls)` with every value described by its domain label.

    `labels`: the domain's table when the enum has no `label` property. `explain(member, label)`: a
    longer description built from the label, for a value whose bare label says too little.
    """
    wrapped = strawberry.enum(cls, name=name, description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        member = cls(value.value)
        label = labels[member] if labels is not None else member.label  # type: ignore[attr-defined]
        value.description = explain(member, label) if explain else label
    return wrapped


CreditLineStatusEnum = domain_enum(CreditLineStatus, name="CreditLineStatus", description="授信额度状态")
LoanStatusEnum = domain_enum(LoanStatus, name="LoanStatus", description="借据状态")
InstallmentStatusEnum = domain_enum(InstallmentStatus, name="InstallmentStatus", description="还款计划一期的状态")
LprTenor = domain_enum(Tenor, name="LprTenor", description="LPR 期限品种：期限 5 年以内（含）的贷款用 1 年期，5 年以上用 5 年期以上")
LoanClassification = domain_enum(LoanClass, name="LoanClassification", description="贷款五级分类（正常、关注、次级、可疑、损失；后三类为不良）")
ClassFloorKind = domain_enum(FloorKind, name="ClassFloorKind", description="分类下限的来源", labels=FLOOR_LABELS)
ClassUpgradeProposalStatus = domain_enum(UpgradeProposalStatus, name="ClassUpgradeProposalStatus", description="分类上调建议的状态")
LedgerAccount = domain_enum(Account, name="LedgerAccount", description="会计科目（贷款分户账与组合科目）", labels=LEDGER_ACCOUNT_LABELS)
LedgerKindEnum = domain_enum(LedgerKind, name="LedgerKind", description="账务交易类型")
CollectionCloseReason = domain_enum(CloseReason, name="CollectionCloseReason", description="催收任务结束原因")
RiskOutcomeEnum = domain_enum(RiskOutcome, name="RiskOutcome", description="风控结论：通过、人工复核、拒绝；规则命中时表示该规则导致的结论")
RiskPurposeEnum = domain_enum(RiskPurpose, name="RiskPurpose", description="征信风险检查的环节")
RepaymentMethod = domain_enum(Method, name="RepaymentMethod", description="还款方式")
Role = domain_enum(RoleModel, name="Role", description="工作人员角色")
WarningKind = domain_enum(warnings.WarningKind, description="预警类型", labels=warnings.KIND_LABELS)
WarningSeverity = domain_enum(warnings.Severity, name="WarningSeverity", description="预警级别", labels=warnings.SEVERITY_LABELS)
WarningStatus = domain_enum(warnings.WarningStatus, name="WarningStatus", description="预警状态")
CollectionTaskStatus = domain_enum(CollectionStatus, name="CollectionTaskStatus", description="催收任务状态")
