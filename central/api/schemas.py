"""Request bodies shared by several endpoints, and the error shape for OpenAPI."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    """OpenAPI `responses` entries for the error statuses an endpoint can return."""
    return {status: {"model": ErrorBody} for status in statuses}
