"""What every JSON router shares: a signed-in caller, one transaction per request, the error format."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from telecare.db import session_scope
from web.auth import api_caller
from web.schemas import ErrorOut

ERROR_STATUSES = (400, 401, 403, 404, 409, 422)


def tx(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns without raising."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


TX = Annotated[Session, Depends(tx)]


def api_router(*tags: str, errors: tuple[int, ...] = ERROR_STATUSES) -> APIRouter:
    """A router under /api whose every route needs a caller and documents the errors it can give."""
    return APIRouter(prefix="/api", dependencies=[Depends(api_caller)], tags=list(tags),
                     responses={code: {"model": ErrorOut} for code in errors})
