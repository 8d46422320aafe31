"""deploy/: the systemd units pass `systemd-analyze verify`, the nginx site passes `nginx -t`.

Paths that only exist on a server (/opt/cunxin, /etc/cunxin/tls) are pointed at this checkout and
at a throw-away certificate first; everything else is checked as shipped. Skipped (not failed)
only where the tool itself is missing.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


def _localised(text: str) -> str:
    return text.replace("/opt/cunxin/.venv/bin/", f"{VENV_BIN}/").replace("/opt/cunxin", str(ROOT))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_systemd_units_verify(tmp_path):
    units = sorted((DEPLOY / "systemd").glob("cunxin*.service")) + [DEPLOY / "systemd" / "cunxin.target"]
    assert {u.name for u in units} == {"cunxin-web.service", "cunxin-worker.service", "cunxin-ml-worker@.service", "cunxin.target"}
    for unit in units:
        (tmp_path / unit.name).write_text(_localised(unit.read_text()))
    (tmp_path / "cunxin-ml-worker@1.service").symlink_to(tmp_path / "cunxin-ml-worker@.service")
    names = [str(tmp_path / n) for n in ("cunxin-web.service", "cunxin-worker.service", "cunxin-ml-worker@1.service", "cunxin.target")]
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], capture_output=True, text=True, timeout=60)
    problems = [line for line in done.stderr.splitlines() if str(tmp_path) in line]  # systemd only warns about a bad line
    assert (done.returncode, problems) == (0, []), done.stderr


def test_the_worker_cron_is_the_one_trigger_of_the_close():
    assert not list((DEPLOY / "systemd").glob("*.timer"))
    worker = (DEPLOY / "systemd" / "cunxin-worker.service").read_text()
    assert "ExecStart=/opt/cunxin/.venv/bin/cunxin worker" in worker and "TZ=Asia/Shanghai" in worker
    web = (DEPLOY / "systemd" / "cunxin-web.service").read_text()
    assert re.search(r"cunxin serve --host 127\.0\.0\.1 --port 8000 --workers \d+", web)
    assert "PROMETHEUS_MULTIPROC_DIR=/run/cunxin/metrics" in web


@pytest.mark.parametrize(("unit", "command", "module", "settings"), [
    ("cunxin-worker.service", "worker", "workers/default.py", "DefaultWorker"),
    ("cunxin-ml-worker@.service", "ml-worker", "workers/ml.py", "MlWorker"),
])
def test_each_worker_unit_names_the_module_its_command_runs(unit, command, module, settings):
    # given the unit, the module it names and the CLI command it starts
    text = (DEPLOY / "systemd" / unit).read_text()
    dotted = module.removesuffix(".py").replace("/", ".")
    cli_sources = "".join(p.read_text() for p in (ROOT / "app" / "cli").glob("*.py"))
    # then the comment names the module, the module defines the settings, and the command runs them
    assert f"# The code: {module} ({settings}" in text and f"ExecStart=/opt/cunxin/.venv/bin/cunxin {command}\n" in text
    assert f"\nclass {settings}:" in (ROOT / module).read_text()
    assert f"from {dotted} import {settings}" in cli_sources


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cunxin.example.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return chain, private


NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@pytest.mark.skipif(NGINX is None, reason="nginx not installed (make system-packages installs nginx-light)")
def test_nginx_site_passes_nginx_t(tmp_path):
    site = (DEPLOY / "nginx" / "cunxin.conf").read_text()
    assert "client_max_body_size 12m;" in site and "X-Forwarded-Proto $scheme" in site and "ssl_certificate " in site
    chain, private = _certificate(tmp_path)
    site = site.replace("/etc/cunxin/tls/fullchain.pem", str(chain)).replace("/etc/cunxin/tls/privkey.pem", str(private))
    site = re.sub(r"listen (\[::\]:)?(80|443)", lambda m: f"listen {m.group(1) or ''}{18080 if m.group(2) == '80' else 18443}", site)
    (tmp_path / "cunxin.conf").write_text(site)
    params = Path("/etc/nginx/proxy_params")
    include = str(params) if params.exists() else str(tmp_path / "proxy_params")
    if not params.exists():
        (tmp_path / "proxy_params").write_text("proxy_set_header Host $http_host;\n")
    (tmp_path / "cunxin.conf").write_text(site.replace("/etc/nginx/proxy_params", include))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n  include {tmp_path}/cunxin.conf;\n}}\n"
    )
    done = subprocess.run([NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
