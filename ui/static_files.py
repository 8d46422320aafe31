"""Static files under hashed names: cached for a year, gzip'd for text, read once at start-up.

Templates name a file through `static_url('js/netstate.js')` → `/static/js/netstate.1a2b3c4d.js`
(the first 8 hex digits of the content's SHA-256, computed once when the app is built). A hashed
URL never changes content, so it is sent with `Cache-Control: public, max-age=31536000,
immutable`: a tablet on a village's weak signal loads each script and style once per release.
The plain name (`/static/js/netstate.js`) still works with a short cache (an old page, a bookmark),
and so does a hashed name whose hash is not the current one (the page of the previous release):
it gets the current file with the short cache. Text types (CSS, JS, SVG, JSON) are compressed
once at start-up and sent gzip'd when the browser accepts it. Files that appear after start-up are
served from disk by Starlette's StaticFiles, uncompressed, with the short cache.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
TEXT_TYPES = ("text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json")
MIN_GZIP = 256  # smaller files are not worth a Content-Encoding
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{8})(?P<suffix>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    media_type: str
    digest: str  # 8 hex digits of the SHA-256

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def _hashed_name(path: str, digest: str) -> str:
    stem, dot, suffix = path.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot and "/" not in suffix else f"{path}.{digest}"


def _load(file: Path) -> Asset:
    body = file.read_bytes()
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    if media_type == "application/javascript":
        media_type = "text/javascript"
    compress = media_type in TEXT_TYPES and len(body) >= MIN_GZIP
    return Asset(body=body, gzipped=gzip.compress(body, 9, mtime=0) if compress else None, media_type=media_type,
                 digest=hashlib.sha256(body).hexdigest()[:8])


class StaticAssets:
    """The files under `directory`, read once: `url(path)` for templates, and the ASGI app mounted at /static."""

    def __init__(self, directory: Path, *, prefix: str = "/static/") -> None:
        self.prefix = prefix
        self.files: dict[str, Asset] = {
            file.relative_to(directory).as_posix(): _load(file)
            for file in sorted(directory.rglob("*")) if file.is_file() and not file.name.startswith(".")
        }
        self.hashed: dict[str, str] = {_hashed_name(path, a.digest): path for path, a in self.files.items()}
        self.disk = StaticFiles(directory=str(directory))

    def url(self, path: str) -> str:
        """`/static/<path with its content hash>`; a file unknown at start-up keeps its plain name."""
        asset = self.files.get(path)
        return self.prefix + (_hashed_name(path, asset.digest) if asset else path)

    def _find(self, path: str) -> tuple[Asset | None, bool]:
        if path in self.hashed:
            return self.files[self.hashed[path]], True
        if path in self.files:
            return self.files[path], False
        old = _HASHED.match(path)  # a previous release's hash: today's file, not immutable
        if old and f"{old['stem']}{old['suffix']}" in self.files:
            return self.files[f"{old['stem']}{old['suffix']}"], False
        return None, False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].removeprefix(scope.get("root_path", "")).lstrip("/")
        asset, immutable = self._find(path) if scope["method"] in ("GET", "HEAD") else (None, False)
        if asset is None:
            await self.disk(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        headers = {"Cache-Control": IMMUTABLE if immutable else SHORT, "ETag": asset.etag, "Vary": "Accept-Encoding"}
        if request_headers.get("if-none-match") == asset.etag:
            await Response(status_code=304, headers=headers)(scope, receive, send)
            return
        body = asset.body
        if asset.gzipped is not None and "gzip" in request_headers.get("accept-encoding", ""):
            body, headers["Content-Encoding"] = asset.gzipped, "gzip"
        if scope["method"] == "HEAD":
            headers["Content-Length"] = str(len(body))
            body = b""
        await Response(body, media_type=asset.media_type, headers=headers)(scope, receive, send)
