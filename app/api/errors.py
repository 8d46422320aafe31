"""Errors at the GraphQL edge: which are shown, and how domain errors become payload errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from enum import Enum, StrEnum
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors, SchemaExtension

from app.domain import error_codes as codes
from app.domain.errors import DomainError, Forbidden, NotFound
from app.services import outage

logger = logging.getLogger(__name__)


class PublicError(Exception):
    """An error whose message may be shown to the client as a top-level error."""


def should_mask_error(error: GraphQLError) -> bool:
    """Mask only unexpected exceptions; syntax, validation, permission and domain errors pass.

    strawberry's permission failures are GraphQLErrors themselves, so they pass too.
    """
    original = error.original_error
    return not (original is None or isinstance(original, GraphQLError | PublicError | DomainError))


def error_enum(name: str, description: str, *parts: type[StrEnum] | StrEnum) -> type[Enum]:
    """A GraphQL error-code enum made of domain error codes: whole areas and single members.

    The names (and so the wire values) are the domain's codes; nothing is copied by hand, so a
    code added to an area is at once a name in every payload enum that includes the area.
    Each value's description is the code's meaning from the domain (`error_codes.meaning`), its one home.
    """
    members: dict[str, str] = {}
    meanings: dict[str, str | None] = {}
    for part in parts:
        for member in (part,) if isinstance(part, StrEnum) else part:
            members[member.name] = member.value
            meanings[member.value] = codes.meaning(member)
    wrapped = strawberry.enum(Enum(name, members), description=description)
    for value in wrapped.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = meanings[value.value]
    return wrapped  # type: ignore[return-value]


class UnmappedErrorCode(LookupError):
    """A domain error reached a payload whose enum does not name its code: a bug, not the client's error."""


def error_code(enum: type[Enum], exc: DomainError) -> Enum:
    """The payload enum's member for a domain error's code; no fallback (an unknown code is a bug, masked and logged)."""
    try:
        return enum[exc.code]
    except KeyError:
        raise UnmappedErrorCode(f"{type(exc).__name__} code {exc.code!r} has no name in {enum.__name__}") from exc


_SNAKE_JOINT = re.compile(r"(?<=[a-z0-9])_([a-z0-9])")


def to_camel(field: str | None) -> str | None:
    """The wire name of an error field: `credit_line_id` → `creditLineId`, `amount.<uuid>` → `amount.<uuid>`.

    The one rule: in Python every error field is snake_case — services and the domain name their own
    parameters or attributes, and code in app/api names the input in snake_case too
    (`decode_id(..., field="credit_line_id")`). The GraphQL names appear only here, once, when a payload
    error is built from a DomainError (`payload_error`); top-level errors carry no field. A dotted field
    keeps its structure with each part converted; parts that are data (a UUID, an index) have no
    underscore between lower-case letters and pass unchanged, as does a name already in camelCase.
    """
    if field is None:
        return None
    return ".".join(_SNAKE_JOINT.sub(lambda m: m.group(1).upper(), part) for part in field.split("."))


def payload_error(cls: type[Any], enum: type[Enum], exc: DomainError, *, document_path: bool = False) -> Any:
    """A payload error type (`field`, `code`, `message`) built from a domain error, its field in wire form.

    `document_path`: the field is a place in a document the client sent (`rules[0].params.window_months`
    in a rule set's YAML), not an input name; it is shown as written.
    """
    field = exc.field if document_path else to_camel(exc.field)
    return cls(field=field, code=error_code(enum, exc), message=exc.message)


SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


def unavailable_error(error: GraphQLError | None = None) -> GraphQLError:
    """The error a client sees while PostgreSQL or Redis is away: retry later, nothing is wrong with the request."""
    return GraphQLError(
        outage.MESSAGE,
        nodes=error.nodes if error else None, source=error.source if error else None,
        positions=error.positions if error else None, path=error.path if error else None,
        extensions={"code": SERVICE_UNAVAILABLE, "retryAfter": outage.RETRY_AFTER_SECONDS},
    )


def unavailable_body() -> dict:
    """The whole GraphQL response when the request failed before execution (e.g. resolving the session)."""
    return {"data": None, "errors": [unavailable_error().formatted]}


class ServiceUnavailableErrors(SchemaExtension):
    """Errors caused by a dependency outage become SERVICE_UNAVAILABLE (listed after MaskErrors, so it runs first)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_unavailable_or_same(e) for e in result.errors]


def _unavailable_or_same(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    return unavailable_error(error) if original is not None and outage.dependency_down(original) else error


def log_errors(errors: list[GraphQLError], execution_context: Any = None) -> bool:
    """Log an outage as one line without traceback; False when the schema's default logging should run."""
    down = [e for e in errors if e.original_error is not None and outage.dependency_down(e.original_error)]
    for error in down:
        logger.warning("%s unavailable during GraphQL execution (%s)", outage.dependency_down(error.original_error), type(error.original_error).__name__)
    return len(down) == len(errors)


# Every top-level error carries one of these in `extensions.code` (docs/mobile.md, "Conventions"): clients branch
# on the code, never on the message. Payload errors (`errors { code field message }`) are the domains' own enums.
TOP_LEVEL_CODES: dict[str, str] = {
    "GRAPHQL_PARSE_FAILED": "文档有语法错误（或超出记号数上限）",
    "GRAPHQL_VALIDATION_FAILED": "文档不符合 schema：未知字段、枚举值不对、深度或别名超限……，未执行",
    "BAD_USER_INPUT": "参数不合法：变量类型不符或缺失、first 超出范围、游标无效……",
    "UNAUTHENTICATED": "未登录或登录已失效：先登录（手机银行：验证码登录；工作人员：PAD 登录；报表工具：报表密钥）",
    "FORBIDDEN": "已登录，但无权执行此操作或读取此项",
    "NOT_FOUND": "对象不存在（仅用于顶层；按 ID 读取的查询返回 null）",
    "INTERNAL_SERVER_ERROR": "服务器内部错误（消息已隐去，详情见服务器日志）",
    SERVICE_UNAVAILABLE: "数据库或 Redis 暂不可用，请按 retryAfter 秒后重试",
    "INTROSPECTION_DISABLED": "生产环境的内省查询仅对行内员工开放",
    "PERSISTED_QUERY_REQUIRED": "生产环境中客户只能按哈希发送受信任的文档",
    "PERSISTED_QUERY_NOT_FOUND": "未知的文档哈希（App 版本过旧）",
    "PERSISTED_QUERY_MISMATCH": "文档正文与哈希不符",
    "PERSISTED_QUERY_NOT_ALLOWED": "该文档不允许此调用方执行",
}


def with_code(error: GraphQLError, *, validation: bool = False) -> GraphQLError:
    """The error with `extensions.code` set (the same object when it already has one).

    `validation`: the error came from validating the document. Otherwise the code follows the cause: a syntax
    error, a domain error raised outside a payload (its own code kept as `reason`), a coercion error of the
    variables (no cause: BAD_USER_INPUT), or an unexpected exception (INTERNAL_SERVER_ERROR, masked later).
    """
    if (error.extensions or {}).get("code"):
        return error
    original = error.original_error
    extensions: dict[str, Any] = dict(error.extensions or {})
    if is_syntax_error(error):
        extensions["code"] = "GRAPHQL_PARSE_FAILED"
    elif validation:
        extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
    elif isinstance(original, DomainError):
        extensions["code"] = "FORBIDDEN" if isinstance(original, Forbidden) else "NOT_FOUND" if isinstance(original, NotFound) else "BAD_USER_INPUT"
        extensions["reason"] = str(original.code)
    elif original is None or isinstance(original, GraphQLError | PublicError):
        extensions["code"] = "BAD_USER_INPUT"
    else:
        extensions["code"] = "INTERNAL_SERVER_ERROR"
    error.extensions = extensions
    return error


def is_syntax_error(error: GraphQLError) -> bool:
    return isinstance(error, GraphQLSyntaxError) or isinstance(error.original_error, GraphQLSyntaxError)


class ErrorCodes(SchemaExtension):
    """Give every top-level error its `extensions.code` (listed last, so its exit runs before masking and outage mapping)."""

    def __init__(self) -> None:
        self.validation_errors: set[int] = set()

    def on_validate(self) -> Iterator[None]:
        yield
        self.validation_errors = {id(e) for e in self.execution_context.pre_execution_errors or []}

    def on_operation(self) -> Iterator[None]:
        self.validation_errors = set()
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [with_code(e, validation=id(e) in self.validation_errors) for e in result.errors]


class MaskUnexpected(MaskErrors):
    """strawberry's MaskErrors, keeping the INTERNAL_SERVER_ERROR code on the anonymous error it puts in place."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked
