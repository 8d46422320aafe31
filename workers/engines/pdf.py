"""Contract PDFs: WeasyPrint rendering, only in worker processes (the job is `render_contract` in workers/default.py).

WeasyPrint would fetch any URL, `file://` included (docs/stack.md#pdf): `AssetFetcher` serves exactly
the files of the contract template folder under `ASSET_BASE_URL` and stops the rendering on
anything else. WeasyPrint is not thread-safe and keeps memory: one render at a time per
process (a lock), in a thread so the worker's event loop keeps answering.
"""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path

from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from app.services.contracts.document import ASSET_BASE_URL, ASSET_DIR, RenderedPdf
from app.services.contracts.pdfsign import FieldBox

CSS_PX_TO_PT = 0.75  # WeasyPrint lays out in CSS pixels (96 per inch); PDF points are 72 per inch


class AssetFetcher(URLFetcher):
    """Serve `ASSET_BASE_URL<name>` from one folder; refuse every other URL (fatal to the render)."""

    def __init__(self, root: Path = ASSET_DIR, base_url: str = ASSET_BASE_URL) -> None:
        super().__init__(allowed_protocols=(), fail_on_errors=True)
        self.root = root.resolve()
        self.base_url = base_url

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if not url.startswith(self.base_url):
            raise FatalURLFetchingError(f"refused to fetch {url[:80]!r}: only contract assets are served")
        name = url[len(self.base_url):].split("?", 1)[0].split("#", 1)[0]
        path = (self.root / name).resolve()
        if not name or path.parent != self.root or not path.is_file():
            raise FatalURLFetchingError(f"no contract asset {name[:80]!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), headers={"Content-Type": content_type})


class WeasyRenderer:
    """HTML → PDF, reporting where each anchored element (signature block) landed, in PDF points."""

    def __init__(self, fetcher: URLFetcher | None = None) -> None:
        self.fetcher = fetcher or AssetFetcher()
        self._lock = asyncio.Lock()

    def render_sync(self, html: str) -> RenderedPdf:
        document = HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=self.fetcher).render()
        anchors: dict[str, FieldBox] = {}
        for number, page in enumerate(document.pages):
            height_pt = page.height * CSS_PX_TO_PT
            for name, (x1, y1, x2, y2) in page.anchors.items():
                box = (x1 * CSS_PX_TO_PT, height_pt - y2 * CSS_PX_TO_PT, x2 * CSS_PX_TO_PT, height_pt - y1 * CSS_PX_TO_PT)
                anchors.setdefault(name, FieldBox(name=name, page=number, box=tuple(round(v, 2) for v in box)))
        return RenderedPdf(pdf=document.write_pdf(), anchors=anchors)

    async def render(self, html: str) -> RenderedPdf:
        async with self._lock:
            return await asyncio.to_thread(self.render_sync, html)
