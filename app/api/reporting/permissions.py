"""Who may run reports: officers (their branch tree) and report keys (their scope).

`STAFF_ONLY` names the reporting documents' fields a report key may not run, each with the reason
(docs/reporting.md, "Staff-only documents"); the key gets FORBIDDEN with that reason.
"""

from __future__ import annotations

from typing import Any

from app.api.permissions import Permission

from app.domain.permissions import Action
from app.domain.vocabulary import ActorType
from app.services.permissions import may

# field -> why a reporting tool may not read it (shown to the key in the FORBIDDEN message)
STAFF_ONLY: dict[str, str] = {
    "customerInsight": "单个客户的画像只供经办人员办理业务时查看，报表工具请用脱敏的客户明细表",
    "customerGraph": "客户的家庭与担保关系属于个人信息，只供经办人员逐户查看，不批量提供给报表工具",
    "riskDecisions": "征信检查结论含征信报告内容，按征信授权只能用于授信审批，不提供给报表工具",
    "strategyDecisions": "策略结论含征信报告与收入等个人信息，只能用于授信审批，不提供给报表工具",
    "allowanceReport": "拨备与核销是法人行全行口径的账务数据，只供本行总行人员查看，报表工具请用贷款组合与明细表",
}


class CanReadReports(Permission):
    message = "请使用工作人员登录或报表密钥"

    def allows(self, actor: Any, info: Any) -> bool:
        return may(actor, Action.REPORT_READ)  # staff (their scope) and report keys: docs/permissions.md


class CanReadWorklists(Permission):
    """The warning and collection worklists: officers (their own or their branch tree's) and report keys (read-only, their scope)."""

    message = "仅限银行工作人员或报表密钥"

    def allows(self, actor: Any, info: Any) -> bool:
        return actor.is_officer or actor.type == ActorType.API_KEY


def staff_only(field: str) -> type[Permission]:
    """Officers only; a report key (or anyone else) is told why, from STAFF_ONLY."""
    reason = STAFF_ONLY[field]

    class StaffOnly(Permission):
        message = f"仅限银行工作人员，报表密钥不能查询此项：{reason}"

        def allows(self, actor: Any, info: Any) -> bool:
            return actor.is_officer

    StaffOnly.__name__ = f"StaffOnly_{field}"
    return StaffOnly
