"""Read the national unit lists and the 2025 mapping shipped by the PyPI package `vietnamadminunits`
(MIT). Only its data files are read; its modules are never imported (they pull in Unidecode, GPL).

Known limits of the source, handled here:
- the legacy list is an undated snapshot of 2025-06-30 (10,035 communes, 696 districts, 63 provinces,
  and 5 island districts without communes);
- the old-to-new mapping is keyed by name slugs ("tinhbacninh_huyenyenphong_xadongphong");
- a legacy commune split across several new communes lists all of them (one marked default); we keep all.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from tinhgon.errors import Failure

PACKAGE = "vietnamadminunits"


def data_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise Failure("chưa cài gói dữ liệu 'vietnamadminunits' (pip install 'tinhgon[data]')")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def package_version() -> str:
    return importlib.metadata.version(PACKAGE)


def slug(text: str) -> str:
    """The package's key form: lower case, no diacritics, no spaces or punctuation."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return "".join(ch for ch in plain if ch.isalnum())


@dataclass(slots=True)
class LegacyCommune:
    code: str
    name: str
    kind: str          # Phường / Xã / Thị trấn
    district_code: str
    key: str           # province_district_ward slug key
    lat: float | None
    lon: float | None


@dataclass(slots=True)
class LegacyDistrict:
    code: str
    name: str
    kind: str          # Quận / Huyện / Thị xã / Thành phố
    province_code: str
    key: str
    lat: float | None
    lon: float | None
    has_communes: bool = True


@dataclass(slots=True)
class Province:
    code: str
    name: str
    key: str
    lat: float | None
    lon: float | None


@dataclass(slots=True)
class NewCommune:
    code: str
    name: str
    kind: str          # Phường / Xã / Đặc khu
    province_code: str
    key: str           # ward slug key within its province
    lat: float | None
    lon: float | None
    area_km2: float | None


@dataclass(slots=True)
class Successor:
    new_key: str       # "provincekey/wardkey"
    partial: bool
    default: bool


@dataclass
class NationalData:
    version: str
    legacy_provinces: list[Province]
    legacy_districts: list[LegacyDistrict]
    legacy_communes: list[LegacyCommune]
    provinces: list[Province]
    communes: list[NewCommune]
    province_predecessors: dict[str, list[str]]          # new province key -> legacy province keys
    commune_successors: dict[str, list[Successor]] = field(default_factory=dict)  # legacy key -> successors
    unmatched: list[str] = field(default_factory=list)   # mapping keys that name no unit (reported)


def commune_key(c: NewCommune) -> str:
    """A key that names one new commune: its province code and its (unique) code."""
    return f"{c.province_code}/{c.code}"


def load() -> NationalData:
    d = data_dir()
    con = sqlite3.connect(f"file:{d / 'dataset.db'}?mode=ro", uri=True)
    try:
        legacy = con.execute(
            "SELECT province, provinceCode, provinceKey, provinceLat, provinceLon, district, districtType, "
            "districtCode, districtKey, districtLat, districtLon, ward, wardType, wardCode, wardKey, wardLat, "
            "wardLon FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()
        new = con.execute(
            "SELECT province, provinceCode, provinceKey, provinceLat, provinceLon, ward, wardType, wardCode, "
            "wardKey, wardLat, wardLon, wardAreaKm2 FROM admin_units ORDER BY provinceCode, wardCode"
        ).fetchall()
    finally:
        con.close()
    mapping = json.loads((d / "converter_2025.json").read_text(encoding="utf-8"))

    lp: dict[str, Province] = {}
    ld: dict[str, LegacyDistrict] = {}
    lc: list[LegacyCommune] = []
    for (pname, pcode, pkey, plat, plon, dname, dtype, dcode, dkey, dlat, dlon,
         wname, wtype, wcode, wkey, wlat, wlon) in legacy:
        lp.setdefault(pcode, Province(pcode, pname, pkey, plat, plon))
        dist = ld.setdefault(dcode, LegacyDistrict(dcode, dname, dtype, pcode, f"{pkey}_{dkey}", dlat, dlon))
        if wcode is None:
            dist.has_communes = False
            continue
        lc.append(LegacyCommune(wcode, wname, wtype, dcode, f"{pkey}_{dkey}_{wkey}", wlat, wlon))

    np_: dict[str, Province] = {}
    nc: list[NewCommune] = []
    for pname, pcode, pkey, plat, plon, wname, wtype, wcode, wkey, wlat, wlon, area in new:
        np_.setdefault(pcode, Province(pcode, pname, pkey, plat, plon))
        nc.append(NewCommune(wcode, wname, wtype, pcode, wkey, wlat, wlon, area))

    new_key_of_province = {p.key: p.code for p in np_.values()}
    # The package keeps diacritics in the keys of the few communes whose plain slugs collide
    # ("xãcẩmgiang" / "xãcẩmgiàng"): match the exact key first, the slug only when it is unambiguous.
    exact = {(c.province_code, c.key): commune_key(c) for c in nc}
    by_slug: dict[tuple[str, str], list[str]] = {}
    for c in nc:
        by_slug.setdefault((c.province_code, slug(c.key)), []).append(commune_key(c))
    successors: dict[str, list[Successor]] = {}
    unmatched: list[str] = []

    def new_key(prov_key: str, ward_key: str) -> str | None:
        pcode = new_key_of_province.get(prov_key)
        if pcode is None:
            return None
        if (pcode, ward_key) in exact:
            return exact[(pcode, ward_key)]
        found = by_slug.get((pcode, slug(ward_key)), [])
        return found[0] if len(found) == 1 else None

    for prov_key, wards in mapping["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, olds in wards.items():
            nk = new_key(prov_key, ward_key)
            if nk is None:
                unmatched.append(f"{prov_key}/{ward_key}")
                continue
            for old in olds:
                successors.setdefault(old, []).append(Successor(nk, partial=False, default=True))
    for prov_key, olds in mapping["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, news in olds.items():
            for item in news:
                nk = new_key(prov_key, item["newWardKey"])
                if nk is None:
                    unmatched.append(f"{prov_key}/{item['newWardKey']}")
                    continue
                lst = successors.setdefault(old, [])
                if not any(s.new_key == nk for s in lst):
                    lst.append(Successor(nk, partial=True, default=bool(item["isDefaultNewWard"])))
    # an old unit listed both whole and in part is a split: mark all its successors partial
    for lst in successors.values():
        if len(lst) > 1:
            for s in lst:
                s.partial = True

    return NationalData(
        version=package_version(),
        legacy_provinces=sorted(lp.values(), key=lambda p: p.code),
        legacy_districts=sorted(ld.values(), key=lambda x: x.code),
        legacy_communes=lc,
        provinces=sorted(np_.values(), key=lambda p: p.code),
        communes=nc,
        province_predecessors={k: list(v) for k, v in mapping["DICT_PROVINCE"].items()},
        commune_successors=successors,
        unmatched=unmatched,
    )
