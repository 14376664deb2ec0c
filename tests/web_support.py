"""Helpers for tests that use the web app as a person would: sign in, read forms."""

from __future__ import annotations

import re

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client, username: str, password: str = PASSWORD, expect: int = 303):
    """Sign in through the login form (its CSRF cookie and field); returns the response."""
    form = client.get("/login")
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": csrf_in(form.text)}, follow_redirects=False)
    assert r.status_code == expect, r.text[:300]
    return r


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
