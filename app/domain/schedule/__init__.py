"""Loan schedules: term loans (等额本息 / 等额本金 / 先息后本) and revolving lines (随借随还)."""

from app.domain.schedule.build import (
    MAX_ANNUAL_RATE_PPM,
    MAX_PRINCIPAL_FEN,
    MAX_TERM_MONTHS,
    amortize,
    annuity_payment_fen,
    build_schedule,
    month_interest_fen,
)
from app.domain.schedule.conventions import DEFAULT_CONVENTIONS, METHOD_LABELS, Conventions, Method, parse_method
from app.domain.schedule.dates import add_months, days_in_month, due_dates, is_leap
from app.domain.schedule.revolving import (
    PAYMENT_DAY,
    SETTLEMENT_DAY,
    SETTLEMENT_MONTHS,
    daily_interest_fen,
    is_settlement_day,
    next_payment_date,
    next_settlement_date,
    previous_settlement_date,
    settlement_dates,
)
from app.domain.schedule.rows import Installment, Schedule, days_interest_fen

__all__ = [
    "DEFAULT_CONVENTIONS",
    "MAX_ANNUAL_RATE_PPM",
    "MAX_PRINCIPAL_FEN",
    "MAX_TERM_MONTHS",
    "METHOD_LABELS",
    "PAYMENT_DAY",
    "SETTLEMENT_DAY",
    "SETTLEMENT_MONTHS",
    "Conventions",
    "Installment",
    "Method",
    "Schedule",
    "add_months",
    "amortize",
    "annuity_payment_fen",
    "build_schedule",
    "daily_interest_fen",
    "days_in_month",
    "days_interest_fen",
    "due_dates",
    "is_leap",
    "is_settlement_day",
    "month_interest_fen",
    "next_payment_date",
    "next_settlement_date",
    "parse_method",
    "previous_settlement_date",
    "settlement_dates",
]
