"""Reporting (issue 7, item 5): report keys and the reports, each computed in SQL with GROUP BY.

Every report takes the actor (officer: their branch tree; report key: its scope), a
`ReportFilter` and a `Page`, and runs a fixed number of statements per request.
"""

from app.services.reporting.common import EVERYTHING, EXPORT, EXPORT_MAX, GROUP_LABELS, INTERVAL_LABELS, GroupBy, Interval, Keyset, Page, ReportFilter, Rows
from app.services.reporting.coverage import ORDER as VILLAGE_ORDER
from app.services.reporting.coverage import CoverageFigures, CoverageReport, VillageCoverageRow, village_coverage
from app.services.reporting.keys import (
    KEY_PREFIX,
    NewReportKey,
    create_report_key,
    is_report_key,
    list_report_keys,
    resolve_report_key,
    revoke_report_key,
)
from app.services.reporting.officers import ORDER as OFFICER_ORDER
from app.services.reporting.officers import OfficerFigures, OfficerReport, OfficerRow, officer_performance
from app.services.reporting.portfolio import PortfolioFigures, PortfolioGroup, PortfolioReport, portfolio_summary
from app.services.reporting.risk import RiskFigures, RiskGroup, RiskReport, risk_summary
from app.services.reporting.series import DisbursementPoint, RepaymentPoint, Series, disbursement_series, repayment_series

__all__ = [
    "EVERYTHING",
    "EXPORT",
    "EXPORT_MAX",
    "GROUP_LABELS",
    "INTERVAL_LABELS",
    "KEY_PREFIX",
    "OFFICER_ORDER",
    "VILLAGE_ORDER",
    "CoverageFigures",
    "CoverageReport",
    "DisbursementPoint",
    "GroupBy",
    "Interval",
    "Keyset",
    "NewReportKey",
    "OfficerFigures",
    "OfficerReport",
    "OfficerRow",
    "Page",
    "PortfolioFigures",
    "PortfolioGroup",
    "PortfolioReport",
    "RepaymentPoint",
    "ReportFilter",
    "RiskFigures",
    "RiskGroup",
    "RiskReport",
    "Rows",
    "Series",
    "VillageCoverageRow",
    "create_report_key",
    "disbursement_series",
    "is_report_key",
    "list_report_keys",
    "officer_performance",
    "portfolio_summary",
    "repayment_series",
    "resolve_report_key",
    "revoke_report_key",
    "risk_summary",
    "village_coverage",
]
