"""Builders of units for the rule tests (a module name unlikely to clash with other test folders)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from tinhgon.domain.units import Kind, Level, Unit

PACKS = Path(__file__).resolve().parents[2] / "src" / "tinhgon" / "rules" / "packs"
_ids = itertools.count(1000)


def group(kind: Kind = Kind.TO_DAN_PHO, households: int | None = 400, *, province: str | None = "01",
          code: str | None = None, parent_id: int | None = None, **kw: Any) -> Unit:
    uid = kw.pop("id", None) or next(_ids)
    return Unit(uid, code or f"G{uid}", f"{kind.label_vi} {uid}", Level.RESIDENTIAL_GROUP, kind,
                parent_id=parent_id, households=households, province_code=province, **kw)


def commune(kind: Kind = Kind.PHUONG, *, province: str | None = "01", commune_class: int | None = 1,
            code: str | None = None, parent_id: int | None = None, **kw: Any) -> Unit:
    uid = kw.pop("id", None) or next(_ids)
    return Unit(uid, code or f"C{uid}", f"{kind.label_vi} {uid}", Level.COMMUNE, kind, parent_id=parent_id,
                province_code=province, commune_class=commune_class, **kw)


def district(kind: Kind = Kind.QUAN, *, province: str | None = "01", code: str | None = None, **kw: Any) -> Unit:
    uid = kw.pop("id", None) or next(_ids)
    return Unit(uid, code or f"D{uid}", f"{kind.label_vi} {uid}", Level.DISTRICT, kind, province_code=province, **kw)
