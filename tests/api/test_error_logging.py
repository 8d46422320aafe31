"""Only unexpected GraphQL errors are logged with a traceback; what the client caused is its answer."""

import logging

from graphql import GraphQLError

from app.api.schema import schema
from app.domain.errors import ValidationError


def _errors():
    forbidden = GraphQLError("无权操作", original_error=GraphQLError("无权操作", extensions={"code": "FORBIDDEN"}))
    domain = GraphQLError("金额无效", original_error=ValidationError("金额无效", code="INVALID", field="amount"))
    syntax = GraphQLError("Cannot query field 'x' on type 'Query'.")
    bug = GraphQLError("boom", original_error=RuntimeError("boom"))
    return forbidden, domain, syntax, bug


def test_expected_errors_write_no_traceback_and_a_bug_does(caplog):
    forbidden, domain, syntax, bug = _errors()
    with caplog.at_level(logging.DEBUG, logger="strawberry"):
        schema.process_errors([forbidden, domain, syntax])
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    with caplog.at_level(logging.DEBUG, logger="strawberry"):
        schema.process_errors([forbidden, bug])
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1 and logged[0].exc_info is not None and "boom" in str(logged[0].exc_info[1])
