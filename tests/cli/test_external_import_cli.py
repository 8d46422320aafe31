"""`cunxin external-import SOURCE FILE --bank CODE [--purpose] [--confirm]` (issue 20; docs/external-data.md)."""

import os
import subprocess
import sys
from datetime import timedelta

from app.clock import now_utc
from app.config import ROOT
from app.domain.external_data import ExternalSource
from app.domain.external_import import KINDS
from app.models import ExternalDataQuery
from app.services import external_data
from tests.factories.risk import actor, id_number, make_customer


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120)


async def test_preview_then_confirm_then_rerun_and_a_refused_row(demo, vault, tmp_path):
    # demo commits the bank; the command opens its own connection to the same database and reads the real clock
    officer, customer = await actor(), await make_customer(vault, sequence=101)
    await external_data.record_consent(actor=officer, customer_id=customer.id, source=ExternalSource.SOCIAL_INSURANCE, purposes=("post_loan",),
                                       signed_at=now_utc() - timedelta(days=1), expires_at=now_utc() + timedelta(days=365))
    header = ",".join(KINDS[ExternalSource.SOCIAL_INSURANCE].headers)
    path = tmp_path / "shebao.csv"
    path.write_bytes(f"{header}\n{id_number(101)},王建国,养老,正常参保,120,2026-10\n{id_number(101)},王建国,医疗,暂停缴费,100,2026-06\n".encode("gb18030"))

    preview = _cunxin("external-import", "社保", str(path), "--bank", "14102301")
    assert preview.returncode == 0, preview.stderr
    assert "预览通过（未写入）。襄汾农商行 社保数据（用途：贷后监测）：共 2 行，涉及客户 1 位，已导入过 0 位" in preview.stdout
    done = _cunxin("external-import", "social_insurance", str(path), "--bank", "14102301", "--confirm")
    assert done.returncode == 0 and "已导入。" in done.stdout, done.stderr
    assert await ExternalDataQuery.filter(customer_id=customer.id, source=ExternalSource.SOCIAL_INSURANCE).count() == 1
    again = _cunxin("external-import", "social_insurance", str(path), "--bank", "14102301", "--confirm")
    assert "涉及客户 0 位，已导入过 1 位" in again.stdout

    refused = _cunxin("external-import", "social_insurance", str(path), "--bank", "14102301", "--purpose", "application", "--confirm")
    assert refused.returncode == 1
    assert "第 2 行「身份证号码」：客户没有有效的社保数据查询授权（用途：授信申请），该行不予导入" in refused.stderr
    assert "2 处错误，未写入任何数据" in refused.stderr
    unknown = _cunxin("external-import", "bureau", str(path), "--bank", "14102301")
    assert unknown.returncode == 1 and "外部数据来源应为" in unknown.stderr
