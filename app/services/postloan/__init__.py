"""Post-loan management (贷后管理): checks raised by the day's close, done on the PAD, reviewed by the branch manager."""

from app.services.postloan.checks import add_check_photo, check_file, get_check, review_check, submit_check
from app.services.postloan.reads import DueCheck, OfficerLoad, check_rows, checks_due, officer_monitoring
from app.services.postloan.tasks import CheckRunReport, raise_checks

__all__ = [
    "CheckRunReport",
    "DueCheck",
    "OfficerLoad",
    "add_check_photo",
    "check_file",
    "check_rows",
    "checks_due",
    "get_check",
    "officer_monitoring",
    "raise_checks",
    "review_check",
    "submit_check",
]
