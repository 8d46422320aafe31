"""The one error a credit report can raise: why a document was refused."""

from __future__ import annotations

from app.domain.error_codes import CreditReportCode
from app.domain.errors import DomainError


class CreditReportError(DomainError):
    """A report the parser refuses, or a report the generator cannot build.

    Codes: TOO_LARGE, BAD_ENCODING, DTD_FORBIDDEN, ENTITIES_FORBIDDEN, PI_FORBIDDEN,
    MALFORMED, WRONG_ROOT, UNSUPPORTED_VERSION, MISSING_ELEMENT, MISSING_ATTRIBUTE,
    BAD_DATE, BAD_MONEY, BAD_NUMBER, BAD_VALUE, BAD_ID_NUMBER, DUPLICATE_ACCOUNT,
    BAD_STATUS_STRING. `field` names the place in the document, e.g.
    "Account[A1]/Repayment@statuses".
    """

    code = CreditReportCode.BAD_CREDIT_REPORT
