"""The one error shape of the API: {"error": {"code", "message"}} with a fitting status."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("central")


class ApiError(Exception):
    """A client-facing error; raise it anywhere and the handler renders it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"No {what} with that id exists.")


def forbidden(message: str = "You are not allowed to do this.") -> ApiError:
    return ApiError(403, "forbidden", message)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def _field(loc: tuple[object, ...] | list[object]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


# Path prefix -> a renderer of errors as pages (the console's): (request, status, message).
PageErrors = Callable[[Request, int, str], Response]
PAGE_ERRORS: dict[str, PageErrors] = {}


def _as_page(request: Request, status: int, message: str) -> Response | None:
    for prefix, render in PAGE_ERRORS.items():
        if request.url.path.startswith(prefix):
            return render(request, status, message)
    return None


DATABASE_AWAY = "Central cannot reach its database just now; try again in a few seconds."


def database_unavailable() -> ApiError:
    """The 503 for a database that is away for a moment: nothing was done, send again."""
    return ApiError(503, "database_unavailable", DATABASE_AWAY, {"Retry-After": "5"})


def database_away(exc: BaseException) -> bool:
    """A lost or refused connection, or a primary turned standby (read only); any other
    error (a bug) is not."""
    if isinstance(exc, DisconnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return True
    return type(exc.orig).__name__ in ("ReadOnlySqlTransaction", "AdminShutdown")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        page = _as_page(request, exc.status, exc.message)
        if page is not None:
            return page
        return JSONResponse(
            error_body(exc.code, exc.message), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        page = _as_page(request, 422, "The address or form has a value that is not valid.")
        if page is not None:
            return page
        first = errors[0] if errors else {}
        if first.get("type") == "json_invalid":
            return JSONResponse(
                error_body("invalid_json", "The request body is not valid JSON."), status_code=400
            )
        parts = [f"{_field(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors[:5]]
        return JSONResponse(
            error_body("invalid_input", "; ".join(parts) or "The request is not valid."),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        page = _as_page(request, exc.status_code, message)
        if page is not None:
            return page
        if exc.status_code == 404 and message == "Not Found":
            message = "There is no such address in the API."
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    async def _database(request: Request, exc: Exception) -> Response:
        """The database away for a moment (restarting, failing over to its standby, an
        SQLite lock held too long): a 503 the caller may retry, not a 500."""
        if not database_away(exc):
            return await _unexpected(request, exc)
        why = type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, why)
        away = database_unavailable()
        page = _as_page(request, away.status, away.message)
        if page is not None:
            return page
        return JSONResponse(
            error_body(away.code, away.message), status_code=away.status, headers=away.headers
        )

    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(DisconnectionError, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body("internal_error", "Central hit an unexpected error; it has been logged."),
            status_code=500,
        )
