"""Personal credit reports: the interchange format's objects, parser and generator.

See docs/credit-report-1.0.md. Rules read only these objects, never raw XML.
"""

from app.domain.credit_report.errors import CreditReportError
from app.domain.credit_report.generator import PROFILES, generate_report
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
from app.domain.credit_report.writer import to_xml

__all__ = [
    "MAX_BYTES",
    "PROFILES",
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
    "generate_report",
    "parse_report",
    "to_xml",
]
