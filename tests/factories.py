"""Test data as plain async functions."""

from __future__ import annotations

import re

import httpx

from app.models import Officer

DEMO_PASSWORD = "cunxin-demo-2026"


async def csrf_token(client: httpx.AsyncClient) -> str:
    """GET the login page once: it sets the CSRF cookie and renders the same token into the form."""
    page = await client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "login form carries no CSRF token"
    return match.group(1)


async def login(client: httpx.AsyncClient, username: str = "officer1", password: str = DEMO_PASSWORD) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post("/login", data={"username": username, "password": password, "csrf_token": token})


async def officer(username: str) -> Officer:
    return await Officer.get(username=username).prefetch_related("branch")
