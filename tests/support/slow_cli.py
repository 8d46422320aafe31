"""The real `cunxin` command with a slow sandbox core (tests only).

`python -m tests.support.slow_cli eod --date D` runs the command itself; every
sandbox debit first waits CUNXIN_TEST_CORE_DELAY seconds, so two end-of-days
started together certainly overlap, and a run can be killed while a debit is in flight.
"""

from __future__ import annotations

import asyncio
import os

from app.integrations.core_banking import SandboxCoreBanking

_debit = SandboxCoreBanking.debit


async def _slow_debit(self, **kwargs):
    await asyncio.sleep(float(os.environ.get("CUNXIN_TEST_CORE_DELAY", "2")))
    return await _debit(self, **kwargs)


if __name__ == "__main__":
    SandboxCoreBanking.debit = _slow_debit
    from app.cli import main

    main()
