"""Personal credit reports: the interchange format's objects and parser.

See docs/credit-report-1.0.md. Rules read only these objects, never raw XML. Reports are made
(the sandbox bureau's generator and XML writer) in app/integrations/sandbox/.
"""

from app.domain.credit_report.errors import CreditReportError
from app.domain.credit_report.model import (
    Account,
    AccountKind,
    CreditReport,
    Guarantee,
    PersonalInfo,
    PublicRecord,
    Query,
    QueryRecord,
    Repayment,
    Special,
    Subject,
    YearMonth,
)
from app.domain.credit_report.parser import MAX_BYTES, parse_report

__all__ = [
    "MAX_BYTES",
    "Account",
    "AccountKind",
    "CreditReport",
    "CreditReportError",
    "Guarantee",
    "PersonalInfo",
    "PublicRecord",
    "Query",
    "QueryRecord",
    "Repayment",
    "Special",
    "Subject",
    "YearMonth",
    "parse_report",
]
