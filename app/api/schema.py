"""The one strawberry schema, composed from per-domain query and mutation classes."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.schema.config import StrawberryConfig
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache

from app.api.execution import FastLeafExecutionContext
from app.api.context import Info
from app.api.ids import node_or_none
from app.api.errors import ErrorCodes, MaskUnexpected, is_syntax_error, with_code, ServiceUnavailableErrors, log_errors, should_mask_error
from app.api.auth.mutations import AuthMutation
from app.api.customers.mutations import CardMutation
from app.api.customers.queries import CustomerQuery
from app.api.lending.application import LoanApplicationMutation, LoanApplicationQuery
from app.api.lending.mutations import ExtensionApplicationQuery
from app.api.lending.classification import ClassificationMutation, ClassificationQuery
from app.api.lending.guarantees import GuaranteeMutation, GuaranteeQuery
from app.api.lending.maker_checker import MakerCheckerMutation, MakerCheckerQuery
from app.api.lending.mutations import LendingMutation
from app.api.lending.online_credit import OnlineCreditMutation, OnlineCreditQuery
from app.api.lending.queries import LendingQuery
from app.api.lending.types import CreditLine, Loan, Product
from app.api.limits import alias_rule, depth_rule
from app.api.permissions import guard_mutations
from app.api.scalars import SCALAR_MAP
from app.api.org.queries import OrgQuery
from app.api.org.types import Branch, Officer
from app.api.risk.mutations import RiskMutation
from app.api.risk.queries import RiskQuery
from app.api.reporting.positions import PositionsQuery
from app.api.reporting.queries import ReportingQuery
from app.api.reporting.readonly import ReadOnlyApiKeys
from app.services import outage

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


@strawberry.type(description="查询入口。客户（手机银行，Bearer 凭证）从 me 开始；工作人员（PAD 会话）从 viewer 开始；报表工具（只读报表密钥）用报表查询。金额为元的字符串，日期为业务日期（Asia/Shanghai），时刻为 UTC")
class Query(OrgQuery, LendingQuery, ClassificationQuery, MakerCheckerQuery, CustomerQuery, RiskQuery, ReportingQuery, PositionsQuery, LoanApplicationQuery,
            GuaranteeQuery, OnlineCreditQuery, ExtensionApplicationQuery):
    @strawberry.field(description="按全局 ID 读取对象；ID 格式不对、类型不是可读取的对象、对象不存在或无权查看时均为 null（不报错）")
    async def node(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="对象的全局 ID（各类型的 id 字段）")]
    ) -> relay.Node | None:
        return await node_or_none(info, id)


@strawberry.type(description="变更入口：每个变更接收一个 input 参数，返回含 errors 列表的结果（成功时 errors 为空列表）；动账变更须带幂等键 idempotencyKey")
class Mutation(LendingMutation, ClassificationMutation, MakerCheckerMutation, AuthMutation, CardMutation, LoanApplicationMutation, OnlineCreditMutation,
               RiskMutation, GuaranteeMutation):
    pass


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:  # type: ignore[no-untyped-def]
        """Tracebacks only for unexpected errors: an outage is one warning line (log_errors), and what the
        client caused (validation, FORBIDDEN, domain errors) is its answer, not a fault of ours.

        A syntax error is raised while parsing, outside the operation's extensions (ErrorCodes never sees it):
        its code is given here, the one place every error of such a result passes."""
        for error in errors:
            if is_syntax_error(error):
                with_code(error)
        if log_errors(errors, execution_context):
            return
        unexpected = [e for e in errors if not _is_outage(e) and should_mask_error(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def _is_outage(error) -> bool:  # type: ignore[no-untyped-def]
    return error.original_error is not None and outage.dependency_down(error.original_error) is not None


# strawberry's relay interface comes with English descriptions; the API describes itself in Chinese
# (docs/mobile.md#reading-the-schema). Only the library's own texts are replaced, once, when the schema is built.
RELAY_DESCRIPTIONS = {
    "An object with a Globally Unique ID": "有全局 ID 的对象（Relay Node）：可用 node(id:) 按 ID 读取",
    "The Globally Unique ID of this object": "全局 ID（不透明字符串，含类型名）：用于 node(id:) 和各输入中的 …Id 字段",
    "The ID of the object.": "对象的全局 ID（各类型的 id 字段）",
}


def relay_in_chinese(graphql_schema) -> None:  # type: ignore[no-untyped-def]
    for named in graphql_schema.type_map.values():
        if named.description in RELAY_DESCRIPTIONS:
            named.description = RELAY_DESCRIPTIONS[named.description]
        for field in (getattr(named, "fields", None) or {}).values():
            if field.description in RELAY_DESCRIPTIONS:
                field.description = RELAY_DESCRIPTIONS[field.description]
            for arg in (getattr(field, "args", None) or {}).values():
                if arg.description in RELAY_DESCRIPTIONS:
                    arg.description = RELAY_DESCRIPTIONS[arg.description]


def build_schema(*, max_depth: int = MAX_DEPTH, max_aliases: int = MAX_ALIASES, max_tokens: int = MAX_TOKENS) -> strawberry.Schema:
    rules = [depth_rule(max_depth), alias_rule(max_aliases)]  # built once: stable keys for the validation cache
    built = Schema(
        query=Query,
        mutation=Mutation,
        types=[Branch, Officer, CreditLine, Loan, Product],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        execution_context_class=FastLeafExecutionContext,  # plain leaf fields take a short path (app/api/execution.py)
        extensions=[
            lambda: AddValidationRules(rules),
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
            ReadOnlyApiKeys,  # report keys never mutate (app/api/reporting/readonly.py)
            lambda: MaskUnexpected(should_mask_error=should_mask_error),
            ServiceUnavailableErrors,  # after MaskErrors: its exit runs first (app/api/errors.py)
            ErrorCodes,  # last: every top-level error gets extensions.code before the two above rewrite some (app/api/errors.py)
        ],
    )
    # No extension here may implement `resolve` (a per-field hook on every scalar of every answer): the
    # mutation policy wraps the mutation fields once instead (app/api/permissions.py, issue 16)
    guard_mutations(built._schema)  # every mutation goes through the permission policy
    relay_in_chinese(built._schema)
    return built


schema = build_schema()
