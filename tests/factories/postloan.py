"""Test data for post-loan checks: a drawn loan with its first check raised, a photo, a complete record."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image

from app.models import PostLoanCheck
from app.services import business_date
from app.services.postloan import raise_checks
from tests.factories.worklists import TODAY, drawn_loan

ANSWERS = {"funds_use": "consistent", "household": "stable", "repayment": "sufficient", "guarantee": "none", "conclusion": "normal", "note": ""}
SPOT = {"lat": 35.8770, "lng": 111.4425, "accuracy_m": 12.0}  # near 西街村's centre


def jpeg(colour=(90, 140, 60)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buf, "JPEG")
    return buf.getvalue()


async def loan_with_check(vault, *, on: date = TODAY, **kwargs):
    """A loan drawn on `on` in 西街村 (officer1's), and the first check the day's close raises for it."""
    await business_date.set_current(on)
    customer, line, loan = await drawn_loan(vault, today=on, **kwargs)
    await raise_checks(on=on)
    return customer, loan, await PostLoanCheck.get(loan_id=loan.id)
