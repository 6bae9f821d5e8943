"""Helpers shared by the import tests: small files written on the fly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> Callable[..., Path]:
    """write_xlsx("f.xlsx", {"Sheet": [[...], ...]}, hidden=("Sheet2",)) -> path."""

    def write(name: str, sheets: dict[str, Sequence[Sequence[Any]]], hidden: Sequence[str] = (),
              edit: Callable[[Workbook], None] | None = None) -> Path:
        wb = Workbook()
        wb.remove(wb.active)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(list(row))
            if title in hidden:
                ws.sheet_state = "hidden"
        if edit is not None:
            edit(wb)
        path = tmp_path / name
        wb.save(path)
        return path

    return write

