"""Credit contracts: PDF rendering (in a worker), customers' signatures, the bank's seal.

The visit flow calls, in order: `create_contract` → `request_contract_render` (the worker runs
`render_contract`) → `sign_contract(role=BORROWER)` → `sign_contract(role=CO_BORROWER)` if any
→ `seal_contract`. See each function's docstring; the process's `SigningKit` is built once by app/wiring.py.
"""

from app.services.contracts.signing import SigningKit
from app.services.contracts.service import (
    FaceChecks,
    contract_in_scope,
    create_contract,
    current_document_id,
    render_contract,
    request_contract_render,
    seal_contract,
    sign_contract,
    sign_contract_in_app,
)

__all__ = [
    "FaceChecks",
    "SigningKit",
    "contract_in_scope",
    "create_contract",
    "current_document_id",
    "render_contract",
    "request_contract_render",
    "seal_contract",
    "sign_contract",
    "sign_contract_in_app",
]
