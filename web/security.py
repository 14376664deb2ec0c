"""Who is calling. Until user accounts arrive, one API token (from the environment) opens the API.

Callers send ``Authorization: Bearer <token>``; a browser signs in once at /login and then carries an
HttpOnly cookie holding an HMAC of the token (never the token itself).
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import HTTPException, Request, status

from telecare.config import Settings

COOKIE = "telecare_session"


def session_cookie_value(settings: Settings) -> str:
    return hmac.new(
        settings.secret_key.get_secret_value().encode(),
        b"session:" + settings.api_token.get_secret_value().encode(),
        hashlib.sha256,
    ).hexdigest()


def token_matches(settings: Settings, candidate: str) -> bool:
    return hmac.compare_digest(candidate.encode(), settings.api_token.get_secret_value().encode())


def require_caller(request: Request) -> str:
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and token_matches(settings, header[7:].strip()):
        return "api-token"
    cookie = request.cookies.get(COOKIE)
    if cookie and hmac.compare_digest(cookie, session_cookie_value(settings)):
        return "browser-session"
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="sign in: send 'Authorization: Bearer <token>' or log in at /login",
        headers={"WWW-Authenticate": "Bearer"},
    )
