from datetime import date

import pytest

from app.integrations.core_banking import SandboxCoreBanking
from app.services import business_date

TODAY = date(2026, 11, 27)


@pytest.fixture
def core():
    return SandboxCoreBanking()


@pytest.fixture
async def bank(demo):
    await business_date.set_current(TODAY)
    return demo
