"""Request bodies shared by several endpoints, and the error shape for OpenAPI."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Response
from pydantic import BaseModel, Field

# Integers a client sends are bounded so they fit a 32-bit database column everywhere.
Count = Annotated[int, Field(ge=0, le=2**31 - 1)]
# A citizen's card for check-in by card: its UID in hex, of which central keeps only a
# salted hash (`central/bookings/issuing.py`).
CardId = Annotated[
    str | None,
    Field(
        min_length=4,
        max_length=64,
        pattern=r"^[0-9A-Fa-f]+$",
        description="The citizen's card identifier (its UID in hex) for check-in by card at "
        "the service point; central keeps only a salted hash of it.",
    ),
]


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` entries for the error statuses an endpoint can return."""
    return {status: {"model": ErrorBody} for status in statuses}


# What a conditional poll (`If-None-Match`) may also answer.
NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "Nothing changed since the ETag sent"}
}


def tagged(response: Response, body: Any, tag: str) -> Any:
    """A polled answer with its `ETag`: the body, or `304` with none when it is None."""
    headers = {"ETag": tag, "Cache-Control": "no-store"}
    if body is None:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return body


class Done(BaseModel):
    """The answer of an action that has nothing else to tell."""

    status: str
