"""The PAD front door: server-rendered pages (Starlette + Jinja2 + htmx)."""
