"""`cunxin` command line. Each module below registers its commands on `cli`."""

from app.cli import lending, ml, ops, risk, risk_ops  # noqa: F401  (registration)
from app.cli import archive  # noqa: F401  (registration: archive-verify, contract-render, outbox-send)
from app.cli import ml_worker  # noqa: F401  (registration: ml-worker, face-reset)
from app.cli import reporting  # noqa: F401  (registration: report-key, customer-tags)
from app.cli import org  # noqa: F401  (registration: bank create|list)
from app.cli import manifests  # noqa: F401  (registration: export-manifest, import-manifest, manifest-list, manifest-check, manifest-retire)
from app.cli import portfolio_import  # noqa: F401  (registration: import, import-template)
from app.cli import external_data  # noqa: F401  (registration: external-import)
from app.cli import maker_checker, maker_checker_propose  # noqa: F401  (registration: maker-checker list|show|approve|reject|propose)
from app.cli.base import cli


def main() -> None:
    cli()
