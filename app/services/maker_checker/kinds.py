"""Every operation kind that goes through maker-checker, by kind (the registry's one list).

To add an operation: build its `Operation` (registry.py) beside its service and add it here.
"""

from __future__ import annotations

from app.domain.maker_checker import CommandKind
from app.services.lending import counter_drawdown, extension, renewal, reversal, write_off
from app.services.maker_checker.registry import Operation
from app.services.risk import lists, rulesets

OPERATIONS: dict[CommandKind, Operation] = {
    CommandKind.WRITE_OFF: write_off.OPERATION,  # 核销: the branch proposes, a head-office approver checks
    CommandKind.REVERSAL: reversal.OPERATION,  # 冲正: the branch proposes, an approver or branch manager of the branch checks
    CommandKind.EXTENSION: extension.OPERATION,  # 展期: an officer proposes, an approver or branch manager checks
    CommandKind.RENEWAL: renewal.OPERATION,  # 无还本续贷: an officer proposes, an approver or branch manager checks
    CommandKind.COUNTER_DRAWDOWN: counter_drawdown.OPERATION,  # 大额柜面用信: an officer draws, an approver or branch manager checks
    CommandKind.RULESET_UPLOAD: rulesets.OPERATION,  # 上传规则集: an admin proposes, a second admin or a head-office approver checks
    CommandKind.LIST_CHANGE: lists.OPERATION,  # 黑灰名单变更: a branch manager or admin proposes, an approver, manager or admin checks
}
