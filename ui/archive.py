"""The customer's e-archive (电子档案) on the PAD: every document with its hash and a download link."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from app.domain.vocabulary import CONTRACT_STATUS_LABELS, DocumentKind
from app.services.customers.archive import customer_file, open_document
from ui.auth import login_required
from ui.templating import render

EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "application/xml": ".xml", "text/xml": ".xml"}


@login_required
async def archive_page(request: Request) -> Response:
    actor = request.state.session.actor
    archive = await customer_file(actor=actor, customer_id=request.path_params["customer_id"])
    context = {
        "customer": archive.customer, "documents": archive.documents, "contracts": archive.contracts, "trail": archive.trail,
        "contract_status": CONTRACT_STATUS_LABELS,
    }
    return render(request, "archive/customer.html", context)


@login_required
async def document_download(request: Request) -> Response:
    doc, data = await open_document(actor=request.state.session.actor, document_id=request.path_params["document_id"], media=request.app.state.media)
    filename = f"{DocumentKind(doc.kind).label}-{doc.sha256[:12]}{EXTENSIONS.get(doc.content_type, '')}"
    headers = {
        "Content-Disposition": f"attachment; filename=\"{doc.sha256[:12]}\"; filename*=UTF-8''{quote(filename)}",
        "X-Content-SHA256": doc.sha256,
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=doc.content_type or "application/octet-stream", headers=headers)
