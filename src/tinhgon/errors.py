"""Errors that map to the exit codes of FORMATS.md: 2 bad input refused, 3 other failure."""

from __future__ import annotations


class TinhgonError(Exception):
    """Base class: a failure with a message meant for a person."""

    exit_code = 3


class BadInput(TinhgonError):
    """Input refused: nothing was written. Message names the file, row and problem where known."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        self.file = file
        self.row = row
        self.field = field
        where = []
        if file:
            where.append(str(file))
        if row is not None:
            where.append(f"dòng {row}")
        if field:
            where.append(field if field.startswith("-") or field.isupper() else f"cột {field}")
        self.message = message
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class Failure(TinhgonError):
    """Any other failure (database unreachable, solver crashed...)."""

    exit_code = 3
