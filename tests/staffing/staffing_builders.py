"""Small registries for the staffing tests: written by hand, or read from a spreadsheet the test writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import Connection, insert

from tinhgon.demo.builder import ensure_title_types
from tinhgon.domain.units import Kind, Region
from tinhgon.registry import repo
from tinhgon.registry import schema as s


@dataclass
class Registry:
    """What a builder made: unit ids and person ids by code."""

    units: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)


def add_units(conn: Connection, reg: Registry, rows: list[dict[str, Any]]) -> None:
    """rows: code, name, kind (Kind value), parent (code or None), households, commune_class, province_code..."""
    for r in rows:
        attrs = {k: v for k, v in r.items() if k not in ("code", "name", "kind", "parent")}
        reg.units[r["code"]] = repo.add_unit(conn, code=r["code"], name=r["name"], kind=Kind(r["kind"]),
                                             parent_id=reg.units.get(r["parent"]) if r.get("parent") else None,
                                             **attrs)


def add_person(conn: Connection, reg: Registry, code: str, name: str, *, unit: str | None, party: bool = False,
               birth: dt.date | None = dt.date(1970, 1, 1), since: dt.date | None = None) -> int:
    hid = None
    if unit is not None:
        hh_code = f"H-{code}"
        hid = int(conn.execute(insert(s.household).values(code=hh_code)).inserted_primary_key[0])  # type: ignore[index]
        reg.households[hh_code] = hid
        conn.execute(insert(s.household_residence).values(household_id=hid, unit_id=reg.units[unit], members=3,
                                                           valid_from=since))
    pid = int(conn.execute(insert(s.person).values(
        code=code, full_name=name, birth_date=birth, gender="nam", party_member=party, household_id=hid,
        is_head=True)).inserted_primary_key[0])  # type: ignore[index]
    reg.people[code] = pid
    return pid


def hold(conn: Connection, reg: Registry, person: str, title: str, unit: str, *, concurrent: bool = False,
         since: dt.date = dt.date(2019, 10, 5), until: dt.date | None = None) -> None:
    conn.execute(insert(s.title_holding).values(person_id=reg.people[person], title_code=title,
                                                unit_id=reg.units[unit], concurrent=concurrent, valid_from=since,
                                                valid_to=until))


def hanoi_ward(conn: Connection, reg: Registry, *, commune_class: int | None = 2,
               groups: dict[str, int] | None = None) -> None:
    """A Hà Nội ward (in an urban district) with residential groups of the given sizes."""
    ensure_title_types(conn)
    base = {"province_code": "01", "region": Region.RED_RIVER_DELTA.value, "urban": True}
    add_units(conn, reg, [
        {"code": "T01", "name": "Thành phố Thử", "kind": "thanh_pho_tw", "parent": None, **base},
        {"code": "Q01", "name": "Quận Thử", "kind": "quan", "parent": "T01", **base},
        {"code": "P01", "name": "Phường Thử", "kind": "phuong", "parent": "Q01", "commune_class": commune_class,
         **base},
    ])
    add_units(conn, reg, [{"code": code, "name": f"Tổ dân phố {code}", "kind": "to_dan_pho", "parent": "P01",
                           "households": hh, **base} for code, hh in (groups or {}).items()])


# --- the second registry: a spreadsheet the test writes, read back by this small loader ----------------

SHEETS = {
    "Đơn vị": ["Mã", "Tên", "Loại", "Mã cấp trên", "Số hộ", "Loại đơn vị", "Dân số", "Diện tích", "Mã tỉnh"],
    "Người": ["Mã", "Họ và tên", "Ngày sinh", "Đảng viên", "Mã đơn vị cư trú"],
    "Chức danh": ["Mã người", "Mã chức danh", "Mã đơn vị", "Kiêm nhiệm", "Từ ngày", "Đến ngày"],
}


def write_workbook(path: Path, data: dict[str, list[list[Any]]]) -> None:
    wb = Workbook()
    first = True
    for name, header in SHEETS.items():
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = name
        first = False
        ws.append(header)
        for row in data[name]:
            ws.append(row)
    wb.save(path)


def _date(v: Any) -> dt.date | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


def load_workbook_registry(conn: Connection, path: Path) -> Registry:
    """Read the three sheets back and write the registry: units, one household per person, holdings."""
    ensure_title_types(conn)
    wb = load_workbook(path, read_only=True, data_only=True)
    reg = Registry()

    def rows(name: str) -> list[dict[str, Any]]:
        it = wb[name].iter_rows(values_only=True)
        header = list(next(it))
        assert header == SHEETS[name], f"{name}: unexpected header {header}"
        return [dict(zip(header, r, strict=True)) for r in it if any(v is not None for v in r)]

    for r in rows("Đơn vị"):
        kind = Kind(r["Loại"])
        attrs: dict[str, Any] = {"province_code": r["Mã tỉnh"], "urban": kind.is_urban_group}
        if r["Số hộ"] is not None:
            attrs["households"] = int(r["Số hộ"])
        if r["Loại đơn vị"] is not None:
            attrs["commune_class"] = int(r["Loại đơn vị"])
        if r["Dân số"] is not None:
            attrs["population"] = int(r["Dân số"])
        if r["Diện tích"] is not None:
            attrs["area_km2"] = float(r["Diện tích"])
        if kind.level.value in ("residential_group", "commune"):
            attrs["region"] = Region.SOUTH.value
        reg.units[r["Mã"]] = repo.add_unit(conn, code=r["Mã"], name=r["Tên"], kind=kind,
                                           parent_id=reg.units[r["Mã cấp trên"]] if r["Mã cấp trên"] else None,
                                           **attrs)
    for r in rows("Người"):
        add_person(conn, reg, r["Mã"], r["Họ và tên"], unit=r["Mã đơn vị cư trú"], party=r["Đảng viên"] == "x",
                   birth=_date(r["Ngày sinh"]))
    for r in rows("Chức danh"):
        hold(conn, reg, r["Mã người"], r["Mã chức danh"], r["Mã đơn vị"], concurrent=r["Kiêm nhiệm"] == "x",
             since=_date(r["Từ ngày"]) or dt.date(2019, 1, 1), until=_date(r["Đến ngày"]))
    wb.close()
    return reg
