"""The error answers of the REST API, as the OpenAPI schema declares them for every operation.

Every error is ``{"detail": "<one message, in Vietnamese>"}``; a request that does not match the schema
(422) adds ``errors``, the list of fields at fault. Declared once here so that the schema tells clients
(and the schemathesis run in tests/reliability) exactly what can come back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorOut(BaseModel):
    detail: str = Field(description="what went wrong, in one sentence")
    errors: list[dict[str, Any]] | None = Field(None, description="422 only: the fields at fault")


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Dữ liệu không hợp lệ (bad input); nothing was changed"},
    401: {"model": ErrorOut, "description": "Chưa đăng nhập (not logged in)"},
    403: {"model": ErrorOut, "description": "Ngoài phạm vi hoặc vai trò không được phép; thiếu mã CSRF khi ghi"},
    404: {"model": ErrorOut, "description": "Không có (no such record, or not in force on the date asked)"},
    409: {"model": ErrorOut, "description": "Xung đột: bản ghi vừa được người khác sửa (optimistic locking)"},
    422: {"model": ErrorOut, "description": "Yêu cầu không đúng lược đồ (request does not match the schema)"},
}
