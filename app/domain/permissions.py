"""The permission policy: who may do what, declared once as data.

docs/permissions.md is the reviewed specification; tests/contract/test_permissions_matrix.py
parses its table and compares it with `POLICY`, cell by cell. Change both together.

Every door (GraphQL, PAD, CLI, workers) asks `allows(principal, action)` through
`app.services.permissions.require`; the doors declare which action each mutation and
unsafe route performs (`app/api/permissions.py: MUTATION_ACTIONS`, `ui/permissions.py:
ROUTE_ACTIONS`). Scope (branch tree, own customer) and the maker-checker rule are checked by
`require` with the object in hand.
"""

from __future__ import annotations

from enum import StrEnum


class Principal(StrEnum):
    """Who is acting: the five staff roles (same values as the officer roles), and the others."""

    OFFICER = "officer"  # 客户经理
    APPROVER = "approver"  # 审批人
    BRANCH_MANAGER = "branch_manager"  # 支行行长
    ADMIN = "admin"  # 系统管理员
    AUDITOR = "auditor"  # 审计员
    BORROWER = "borrower"  # 借款客户（手机银行）
    REPORT_KEY = "report_key"  # 报表密钥
    ANONYMOUS = "anonymous"  # 未登录（登录、评议链接）
    SYSTEM = "system"  # 命令行与后台任务（运维人员在服务器上执行）


STAFF = frozenset({Principal.OFFICER, Principal.APPROVER, Principal.BRANCH_MANAGER, Principal.ADMIN, Principal.AUDITOR})


class Action(StrEnum):
    # sessions
    SESSION_SIGN_IN = "session.sign_in"
    SESSION_SIGN_OUT = "session.sign_out"
    FACE_LOGIN = "face.login"
    FACE_RESET = "face.reset"
    # the borrower's own things
    CARD_BIND = "card.bind"
    CARD_UNBIND = "card.unbind"
    CARD_SET_DEFAULT = "card.set_default"
    CARD_BIND_COUNTER = "card.bind_counter"  # an officer binds a customer's card at the counter (the customer confirms by SMS code)
    CREDIT_AUTHORISE = "credit.authorise"
    LOAN_APPLY = "loan.apply"
    # money
    LOAN_DISBURSE = "loan.disburse"
    LOAN_DISBURSE_APPROVE = "loan.disburse_approve"  # an approver or branch manager checks a counter drawdown above the threshold
    LOAN_REPAY = "loan.repay"
    LOAN_PREPAY = "loan.prepay"
    LOAN_CLASSIFY = "loan.classify"
    LOAN_UPGRADE_APPROVE = "loan.upgrade_approve"
    LOAN_WRITE_OFF = "loan.write_off"  # the branch proposes a write-off (核销): a pending command (maker-checker)
    LOAN_WRITE_OFF_APPROVE = "loan.write_off_approve"  # a head-office approver checks it (总行审批人)
    LOAN_REVERSE = "loan.reverse"  # the branch proposes a reversal (冲正) of a booking made in error: a pending command
    LOAN_REVERSE_APPROVE = "loan.reverse_approve"  # an approver or branch manager of the branch checks it
    LOAN_EXTEND = "loan.extend"  # an officer proposes an extension (展期): a pending command (maker-checker)
    LOAN_EXTENSION_APPLY = "loan.extension_apply"  # the borrower applies for 展期 in the app; the officer then proposes it
    LOAN_EXTEND_APPROVE = "loan.extend_approve"  # an approver or branch manager checks it
    LOAN_RENEW = "loan.renew"  # an officer proposes a renewal without repaying principal (无还本续贷): a pending command
    LOAN_RENEW_APPROVE = "loan.renew_approve"  # an approver or branch manager checks it
    LOAN_RECOVER = "loan.recover"  # money recovered on a written-off loan (核销后收回)
    LOAN_PROVISION = "loan.provision"  # the monthly loan-loss allowance (计提贷款损失准备)
    COMMAND_CHECK = "command.check"  # the doors' gate to approve or reject a maker-checker request (the kind's own check action decides)
    # credit
    CENSUS_MANAGE = "census.manage"
    APPRAISAL_MANAGE = "appraisal.manage"
    APPRAISAL_VOTE = "appraisal.vote"
    APPRAISAL_APPROVE = "appraisal.approve"
    VISIT_CONDUCT = "visit.conduct"
    GUARANTEE_FORM = "guarantee.form"  # form a 联保 group at a visit or appraisal; its members sign their guarantees
    GUARANTEE_RELEASE = "guarantee.release"  # dissolve a 联保 group or release one member (no live loan in the group)
    LINE_GRANT = "line.grant"
    LINE_APPROVE = "line.approve"
    # risk and after the loan
    WARNING_HANDLE = "warning.handle"
    COLLECTION_RECORD = "collection.record"
    COLLECTION_LEGAL = "collection.legal"
    LIST_MANAGE = "list.manage"  # propose a black/grey list change (a pending command unless the settings leave it out)
    LIST_CHANGE_APPROVE = "list.change_approve"  # an approver, branch manager or admin checks it
    RULESET_UPLOAD = "ruleset.upload"  # propose a rule-set upload (a pending command unless the settings leave it out)
    RULESET_UPLOAD_APPROVE = "ruleset.upload_approve"  # a second admin or a head-office approver checks it
    POSTLOAN_CHECK = "postloan.check"
    POSTLOAN_REVIEW = "postloan.review"
    # administering the system
    LPR_PUBLISH = "lpr.publish"
    OFFICER_MANAGE = "officer.manage"
    REPORT_KEY_MANAGE = "report_key.manage"
    OUTBOX_RESEND = "outbox.resend"
    EOD_RUN = "eod.run"
    BANK_MANAGE = "bank.manage"  # the platform: add and change member banks
    PORTFOLIO_IMPORT = "portfolio.import"  # bring a member bank's existing book in from the old system (docs/import.md)
    # reading
    REPORT_READ = "report.read"


MONEY_ACTIONS = frozenset({
    Action.LOAN_DISBURSE, Action.LOAN_REPAY, Action.LOAN_PREPAY, Action.LOAN_WRITE_OFF, Action.LOAN_WRITE_OFF_APPROVE, Action.LOAN_RECOVER,
    Action.LOAN_REVERSE, Action.LOAN_REVERSE_APPROVE, Action.LOAN_DISBURSE_APPROVE,
})
CREDIT_ACTIONS = frozenset({Action.LINE_GRANT, Action.LINE_APPROVE, Action.APPRAISAL_APPROVE})
READ_ACTIONS = frozenset({Action.REPORT_READ})
SESSION_ACTIONS = frozenset({Action.SESSION_SIGN_IN, Action.SESSION_SIGN_OUT, Action.FACE_LOGIN})  # one's own session only
# What platform staff (officers of the platform node, no bank of their own) may do: read across banks,
# their own session, and administer the platform. Every bank's business (money, credit, customers,
# villages, collections, lists, the outbox) is refused to them whatever their role. A platform admin's
# rule-set change (the platform default) is a platform command that a second platform admin checks
# (RULESET_UPLOAD_APPROVE, COMMAND_CHECK); a bank's commands are never theirs to see (maker_checker.commands).
PLATFORM_ACTIONS = READ_ACTIONS | SESSION_ACTIONS | frozenset({
    Action.BANK_MANAGE, Action.OFFICER_MANAGE, Action.REPORT_KEY_MANAGE, Action.LPR_PUBLISH, Action.RULESET_UPLOAD, Action.RULESET_UPLOAD_APPROVE,
    Action.COMMAND_CHECK, Action.FACE_RESET,
})
# Checker actions: the person who made the request may not check it (maker-checker, 审贷分离).
CHECK_ACTIONS = frozenset({
    Action.LINE_APPROVE, Action.APPRAISAL_APPROVE, Action.LOAN_WRITE_OFF_APPROVE, Action.LOAN_REVERSE_APPROVE, Action.LOAN_EXTEND_APPROVE,
    Action.LOAN_RENEW_APPROVE, Action.LIST_CHANGE_APPROVE, Action.RULESET_UPLOAD_APPROVE, Action.LOAN_DISBURSE_APPROVE,
})
# Checker actions only an officer of the bank's head office (总行: their branch tree holds the bank's head branch) performs.
HEAD_OFFICE_ACTIONS = frozenset({Action.LOAN_WRITE_OFF_APPROVE, Action.RULESET_UPLOAD_APPROVE})

_P = Principal
_A = Action
_FRONT = frozenset({_P.OFFICER, _P.BRANCH_MANAGER})  # people who serve customers at the counter and in villages
_WORKING = frozenset({_P.OFFICER, _P.APPROVER, _P.BRANCH_MANAGER, _P.ADMIN})  # staff who may change things
_CHECKERS = frozenset({_P.APPROVER, _P.BRANCH_MANAGER})

# action -> the principals allowed to perform it (within their scope). Everything else is refused.
POLICY: dict[Action, frozenset[Principal]] = {
    _A.SESSION_SIGN_IN: frozenset(_P) - {_P.REPORT_KEY, _P.SYSTEM},
    _A.SESSION_SIGN_OUT: STAFF | {_P.BORROWER},
    _A.FACE_LOGIN: STAFF,
    _A.FACE_RESET: frozenset({_P.ADMIN, _P.SYSTEM}),
    _A.CARD_BIND: frozenset({_P.BORROWER}),
    _A.CARD_UNBIND: frozenset({_P.BORROWER}),
    _A.CARD_SET_DEFAULT: frozenset({_P.BORROWER}),
    _A.CARD_BIND_COUNTER: _FRONT,
    _A.CREDIT_AUTHORISE: frozenset({_P.BORROWER}),
    _A.LOAN_APPLY: frozenset({_P.BORROWER}),
    _A.LOAN_DISBURSE: _FRONT | {_P.BORROWER, _P.SYSTEM},
    _A.LOAN_DISBURSE_APPROVE: _CHECKERS,
    _A.LOAN_REPAY: _FRONT | {_P.BORROWER, _P.SYSTEM},
    _A.LOAN_PREPAY: _FRONT | {_P.BORROWER, _P.SYSTEM},
    _A.LOAN_CLASSIFY: frozenset({_P.OFFICER, _P.APPROVER, _P.BRANCH_MANAGER, _P.SYSTEM}),
    _A.LOAN_UPGRADE_APPROVE: _CHECKERS | {_P.SYSTEM},
    _A.LOAN_WRITE_OFF: _FRONT,
    _A.LOAN_WRITE_OFF_APPROVE: frozenset({_P.APPROVER}),
    _A.LOAN_REVERSE: _FRONT,
    _A.LOAN_REVERSE_APPROVE: _CHECKERS,
    _A.LOAN_EXTEND: _FRONT,
    _A.LOAN_EXTENSION_APPLY: frozenset({_P.BORROWER}),
    _A.LOAN_EXTEND_APPROVE: _CHECKERS,
    _A.LOAN_RENEW: _FRONT,
    _A.LOAN_RENEW_APPROVE: _CHECKERS,
    _A.LOAN_RECOVER: _FRONT | {_P.SYSTEM},
    _A.LOAN_PROVISION: frozenset({_P.SYSTEM}),
    _A.COMMAND_CHECK: _CHECKERS | {_P.ADMIN},
    _A.CENSUS_MANAGE: frozenset({_P.OFFICER, _P.BRANCH_MANAGER, _P.ADMIN, _P.SYSTEM}),
    _A.APPRAISAL_MANAGE: frozenset({_P.OFFICER, _P.BRANCH_MANAGER, _P.ADMIN, _P.SYSTEM}),
    _A.APPRAISAL_VOTE: frozenset({_P.OFFICER, _P.APPROVER, _P.BRANCH_MANAGER, _P.ADMIN, _P.ANONYMOUS}),
    _A.APPRAISAL_APPROVE: _CHECKERS | {_P.SYSTEM},
    _A.VISIT_CONDUCT: _FRONT,
    _A.GUARANTEE_FORM: _FRONT,
    _A.GUARANTEE_RELEASE: _FRONT,
    _A.LINE_GRANT: _FRONT,
    _A.LINE_APPROVE: _CHECKERS,
    _A.WARNING_HANDLE: _WORKING | {_P.SYSTEM},
    _A.COLLECTION_RECORD: _WORKING | {_P.SYSTEM},
    _A.COLLECTION_LEGAL: frozenset({_P.BRANCH_MANAGER, _P.ADMIN, _P.SYSTEM}),
    _A.LIST_MANAGE: frozenset({_P.BRANCH_MANAGER, _P.ADMIN, _P.SYSTEM}),
    _A.LIST_CHANGE_APPROVE: _CHECKERS | {_P.ADMIN},
    _A.RULESET_UPLOAD: frozenset({_P.ADMIN, _P.SYSTEM}),
    _A.RULESET_UPLOAD_APPROVE: frozenset({_P.APPROVER, _P.ADMIN}),
    _A.POSTLOAN_CHECK: _FRONT,
    _A.POSTLOAN_REVIEW: frozenset({_P.BRANCH_MANAGER}),
    _A.LPR_PUBLISH: frozenset({_P.ADMIN, _P.SYSTEM}),
    _A.OFFICER_MANAGE: frozenset({_P.ADMIN, _P.SYSTEM}),
    _A.REPORT_KEY_MANAGE: frozenset({_P.ADMIN, _P.SYSTEM}),
    _A.OUTBOX_RESEND: frozenset({_P.ADMIN, _P.SYSTEM}),
    _A.EOD_RUN: frozenset({_P.SYSTEM}),
    _A.BANK_MANAGE: frozenset({_P.ADMIN, _P.SYSTEM}),
    _A.PORTFOLIO_IMPORT: frozenset({_P.ADMIN, _P.SYSTEM}),
    _A.REPORT_READ: STAFF | {_P.REPORT_KEY, _P.SYSTEM},
}

# Principals that only read: whatever the table says, they change nothing but their own session.
READ_ONLY = frozenset({_P.AUDITOR, _P.REPORT_KEY})


def allows(principal: Principal | None, action: Action) -> bool:
    """True when the policy lets this principal perform the action (scope and maker-checker are checked separately).

    The two invariants are enforced here as well as in the table, so a wrong edit of the table fails closed.
    """
    if principal is None:
        return False
    if principal in READ_ONLY and action not in READ_ACTIONS | SESSION_ACTIONS:
        return False
    if principal == _P.ADMIN and action in MONEY_ACTIONS | CREDIT_ACTIONS:
        return False
    return principal in POLICY.get(action, frozenset())


def allows_platform_staff(action: Action) -> bool:
    """True when staff of the platform (no member bank of their own) may perform the action at all."""
    return action in PLATFORM_ACTIONS


def actions_for(principal: Principal) -> frozenset[Action]:
    return frozenset(a for a in Action if allows(principal, a))


ACTION_LABELS: dict[Action, str] = {
    _A.SESSION_SIGN_IN: "登录",
    _A.SESSION_SIGN_OUT: "退出登录",
    _A.FACE_LOGIN: "人脸识别登录、录入本人人脸",
    _A.FACE_RESET: "重置工作人员人脸",
    _A.CARD_BIND: "绑定银行卡",
    _A.CARD_UNBIND: "解绑银行卡",
    _A.CARD_SET_DEFAULT: "设置默认银行卡",
    _A.CARD_BIND_COUNTER: "柜面绑定客户银行卡",
    _A.CREDIT_AUTHORISE: "签署征信授权书",
    _A.LOAN_APPLY: "申请借款",
    _A.LOAN_DISBURSE: "用信放款",
    _A.LOAN_DISBURSE_APPROVE: "审批大额柜面用信",
    _A.LOAN_REPAY: "还款",
    _A.LOAN_PREPAY: "提前还款",
    _A.LOAN_CLASSIFY: "认定贷款分类",
    _A.LOAN_UPGRADE_APPROVE: "审批分类上调",
    _A.LOAN_WRITE_OFF: "提出贷款核销",
    _A.LOAN_WRITE_OFF_APPROVE: "审批贷款核销（总行）",
    _A.LOAN_REVERSE: "提出冲正",
    _A.LOAN_REVERSE_APPROVE: "审批冲正",
    _A.LOAN_EXTEND: "提出贷款展期",
    _A.LOAN_EXTENSION_APPLY: "申请贷款展期（借款人）",
    _A.LOAN_EXTEND_APPROVE: "审批贷款展期",
    _A.LOAN_RENEW: "提出无还本续贷",
    _A.LOAN_RENEW_APPROVE: "审批无还本续贷",
    _A.LOAN_RECOVER: "核销贷款收回",
    _A.LOAN_PROVISION: "计提贷款损失准备",
    _A.COMMAND_CHECK: "复核待审业务（双人复核）",
    _A.CENSUS_MANAGE: "村庄建档",
    _A.APPRAISAL_MANAGE: "组织评议",
    _A.APPRAISAL_VOTE: "评议投票",
    _A.APPRAISAL_APPROVE: "审定预授信额度",
    _A.VISIT_CONDUCT: "走访面签",
    _A.GUARANTEE_FORM: "组建联保小组",
    _A.GUARANTEE_RELEASE: "解散联保小组、成员退出",
    _A.LINE_GRANT: "权限内授信",
    _A.LINE_APPROVE: "审批授信",
    _A.WARNING_HANDLE: "处理预警",
    _A.COLLECTION_RECORD: "记录催收",
    _A.COLLECTION_LEGAL: "法律催收",
    _A.LIST_MANAGE: "维护黑灰名单",
    _A.LIST_CHANGE_APPROVE: "审批黑灰名单变更",
    _A.RULESET_UPLOAD: "上传规则集",
    _A.RULESET_UPLOAD_APPROVE: "审批规则集上传（总行）",
    _A.POSTLOAN_CHECK: "贷后检查",
    _A.POSTLOAN_REVIEW: "复核贷后检查",
    _A.LPR_PUBLISH: "录入 LPR",
    _A.OFFICER_MANAGE: "管理工作人员",
    _A.REPORT_KEY_MANAGE: "管理报表密钥",
    _A.OUTBOX_RESEND: "重发失败消息",
    _A.EOD_RUN: "日终处理",
    _A.BANK_MANAGE: "管理法人行",
    _A.PORTFOLIO_IMPORT: "导入存量业务数据",
    _A.REPORT_READ: "查看经营报表",
}
