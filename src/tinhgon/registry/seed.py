"""`tinhgon seed vietnam`: the real national tree before and after the 2025 reform, with its lineage.

Everything comes from the `vietnamadminunits` data files (see vn_data); the package version is
recorded as the data source. Identity rules:
- a province or commune that the reform left whole and alone (one predecessor, kept whole, with no
  other successor) keeps its identity: a new version from 2025-07-01 (new code, name, parent);
- every other new unit is a new identity, linked to its predecessors by a lineage event; a split
  legacy commune keeps all its successors (links marked partial);
- districts end on 2025-07-01.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert, select

from tinhgon.domain.lineage import EventKind, LegalBasis
from tinhgon.domain.units import Kind, Level
from tinhgon.errors import Failure
from tinhgon.registry import schema as s
from tinhgon.registry import vn_data

REFORM_DATE = dt.date(2025, 7, 1)
SOURCE_NAME = "vietnamadminunits"

PROVINCE_BASIS = LegalBasis(
    "202/2025/QH15", dt.date(2025, 6, 12), "Quốc hội",
    "Nghị quyết về việc sắp xếp đơn vị hành chính cấp tỉnh",
)
DISTRICT_BASIS = LegalBasis(
    "72/2025/QH15", dt.date(2025, 6, 16), "Quốc hội",
    "Luật Tổ chức chính quyền địa phương 2025: đơn vị hành chính cấp huyện kết thúc hoạt động từ 01/07/2025",
)
COMMUNE_BASIS = LegalBasis(
    None, None, "Ủy ban Thường vụ Quốc hội",
    "Nghị quyết của UBTVQH về sắp xếp đơn vị hành chính cấp xã của từng tỉnh năm 2025 "
    "(số hiệu từng nghị quyết không có trong nguồn dữ liệu vietnamadminunits)",
)

WARD_KIND = {"Phường": Kind.PHUONG, "Xã": Kind.XA, "Thị trấn": Kind.THI_TRAN, "Đặc khu": Kind.DAC_KHU}
DISTRICT_KIND = {"Quận": Kind.QUAN, "Huyện": Kind.HUYEN, "Thị xã": Kind.THI_XA, "Thành phố": Kind.THANH_PHO_TINH}


def province_kind(name: str) -> Kind:
    return Kind.THANH_PHO_TW if name.startswith("Thành phố") else Kind.TINH


def already_seeded(conn: Connection) -> str | None:
    row = conn.execute(select(s.data_source.c.version).where(s.data_source.c.name == SOURCE_NAME)).first()
    return row[0] if row else None


def _insert_units(conn: Connection, levels: list[Level], source_id: int) -> list[int]:
    if not levels:
        return []
    res = conn.execute(
        insert(s.unit).returning(s.unit.c.id, sort_by_parameter_order=True),
        [{"level": lv.value, "source_id": source_id} for lv in levels],
    )
    return [int(r[0]) for r in res]


def _version(unit_id: int, level: Level, code: str, name: str, kind: Kind, parent_id: int | None,
             valid_from: dt.date | None, valid_to: dt.date | None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "unit_id": unit_id, "level": level.value, "code": code, "name": name, "kind": kind.value,
        "parent_id": parent_id, "valid_from": valid_from, "valid_to": valid_to,
        "households": None, "population": None, "area_km2": None, "lat": None, "lon": None, "geometry": None,
        "region": None, "province_code": None, "mountainous": False, "border": False, "island": False,
        "urban": None, "commune_class": None, "security_key": False, "row_version": 1,
    }
    row.update(extra)
    return row


def seed_vietnam(conn: Connection, progress: Callable[[str], None] | None = None,
                 province_codes: set[str] | None = None, loaded_at: dt.datetime | None = None) -> dict[str, int]:
    """Load the national tree into an open transaction. PROVINCE_CODES limits the legacy side (and the
    new provinces fed by it) to some provinces, for the demo and for tests. Logged as one change-log
    entry (the data source row), not one per unit."""
    from tinhgon.reliability import auditlog

    with auditlog.suspended():
        result = _seed(conn, progress, province_codes, loaded_at)
    auditlog.record_system(conn, "seed", "data_source", result)
    return result


def _seed(conn: Connection, progress: Callable[[str], None] | None, province_codes: set[str] | None,
          loaded_at: dt.datetime | None) -> dict[str, int]:
    say = progress or (lambda _msg: None)
    data = vn_data.load()
    if data.unmatched:  # never drop a unit silently: a mapping key we cannot place stops the seed
        raise Failure(f"bảng chuyển đổi có {len(data.unmatched)} khóa không khớp đơn vị nào: {data.unmatched[:5]}")
    say(f"Đọc dữ liệu vietnamadminunits {data.version}")
    source_id = int(conn.execute(s.data_source.insert().values(  # type: ignore[index]
        name=SOURCE_NAME, version=data.version,
        loaded_at=loaded_at or dt.datetime.now(dt.UTC).replace(tzinfo=None),
        note="Danh mục ĐVHC trước và sau 01/07/2025 và bảng chuyển đổi 2025 (MIT)",
    )).inserted_primary_key[0])

    legacy_prov = [p for p in data.legacy_provinces if province_codes is None or p.code in province_codes]
    legacy_prov_keys = {p.key for p in legacy_prov}
    new_prov = [p for p in data.provinces
                if any(k in legacy_prov_keys for k in data.province_predecessors.get(p.key, []))]
    districts = [d for d in data.legacy_districts if any(d.province_code == p.code for p in legacy_prov)]
    district_codes = {d.code for d in districts}
    communes = [c for c in data.legacy_communes if c.district_code in district_codes]
    new_prov_codes = {p.code for p in new_prov}

    # successors of each legacy unit key (communes, and island districts without communes)
    succ = data.commune_successors
    pred: dict[str, list[tuple[str, bool, bool]]] = defaultdict(list)  # new key -> (legacy key, partial, default)
    legacy_keys = {c.key for c in communes} | {d.key + "_" for d in districts if not d.has_communes}
    for old_key, lst in succ.items():
        if old_key in legacy_keys:
            for sc in lst:
                pred[sc.new_key].append((old_key, sc.partial, sc.default))
    new_communes = [c for c in data.communes if c.province_code in new_prov_codes
                    and pred.get(vn_data.commune_key(c))]

    # --- provinces -------------------------------------------------------------------------------
    continuing_prov = {}  # legacy key -> new Province
    for p in new_prov:
        preds = data.province_predecessors[p.key]
        if preds == [p.key] or (len(preds) == 1 and preds[0] in legacy_prov_keys):
            continuing_prov[preds[0]] = p
    prov_ids = _insert_units(conn, [Level.PROVINCE] * len(legacy_prov), source_id)
    legacy_prov_id = {p.key: uid for p, uid in zip(legacy_prov, prov_ids, strict=True)}
    legacy_prov_id_by_code = {p.code: legacy_prov_id[p.key] for p in legacy_prov}
    versions: list[dict[str, Any]] = []
    for p in legacy_prov:
        uid = legacy_prov_id[p.key]
        versions.append(_version(uid, Level.PROVINCE, p.code, p.name, province_kind(p.name), None, None,
                                 REFORM_DATE, lat=p.lat, lon=p.lon, province_code=p.code))
    fresh_prov = [p for p in new_prov if p not in continuing_prov.values()]
    fresh_ids = _insert_units(conn, [Level.PROVINCE] * len(fresh_prov), source_id)
    new_prov_id: dict[str, int] = {p.code: uid for p, uid in zip(fresh_prov, fresh_ids, strict=True)}
    for old_key, p in continuing_prov.items():
        new_prov_id[p.code] = legacy_prov_id[old_key]
    for p in new_prov:
        versions.append(_version(new_prov_id[p.code], Level.PROVINCE, p.code, p.name, province_kind(p.name),
                                 None, REFORM_DATE, None, lat=p.lat, lon=p.lon, province_code=p.code))
    say(f"Tỉnh: {len(legacy_prov)} trước, {len(new_prov)} sau 01/07/2025")

    # --- districts -------------------------------------------------------------------------------
    dist_ids = _insert_units(conn, [Level.DISTRICT] * len(districts), source_id)
    district_id = {d.code: uid for d, uid in zip(districts, dist_ids, strict=True)}
    district_id_by_key = {d.key + "_": district_id[d.code] for d in districts}
    for d in districts:
        versions.append(_version(district_id[d.code], Level.DISTRICT, d.code, d.name, DISTRICT_KIND[d.kind],
                                 legacy_prov_id_by_code[d.province_code], None, REFORM_DATE,
                                 lat=d.lat, lon=d.lon, province_code=d.province_code,
                                 urban=d.kind in ("Quận", "Thành phố", "Thị xã")))

    # --- communes --------------------------------------------------------------------------------
    legacy_commune_ids = _insert_units(conn, [Level.COMMUNE] * len(communes), source_id)
    legacy_id_by_key = {c.key: uid for c, uid in zip(communes, legacy_commune_ids, strict=True)}
    legacy_id_by_key.update(district_id_by_key)
    district_prov = {d.code: d.province_code for d in districts}
    for c in communes:
        kind = WARD_KIND[c.kind]
        versions.append(_version(legacy_id_by_key[c.key], Level.COMMUNE, c.code, c.name, kind,
                                 district_id[c.district_code], None, REFORM_DATE, lat=c.lat, lon=c.lon,
                                 province_code=district_prov[c.district_code],
                                 urban=kind in (Kind.PHUONG, Kind.THI_TRAN)))

    continuing: dict[str, str] = {}  # new key -> legacy key whose identity it continues
    for nk, plist in pred.items():
        if len(plist) == 1:
            old_key, partial, _default = plist[0]
            if not partial and len(succ[old_key]) == 1 and old_key in {c.key for c in communes}:
                continuing[nk] = old_key
    fresh = [c for c in new_communes if vn_data.commune_key(c) not in continuing]
    fresh_ids = _insert_units(conn, [Level.COMMUNE] * len(fresh), source_id)
    new_id_by_key = {vn_data.commune_key(c): uid for c, uid in zip(fresh, fresh_ids, strict=True)}
    for nk, old_key in continuing.items():
        new_id_by_key[nk] = legacy_id_by_key[old_key]
    for nc in new_communes:
        nk = vn_data.commune_key(nc)
        kind = WARD_KIND[nc.kind]
        versions.append(_version(new_id_by_key[nk], Level.COMMUNE, nc.code, nc.name, kind,
                                 new_prov_id[nc.province_code], REFORM_DATE, None, lat=nc.lat, lon=nc.lon,
                                 area_km2=nc.area_km2, province_code=nc.province_code, urban=kind == Kind.PHUONG,
                                 island=kind == Kind.DAC_KHU))
    for i in range(0, len(versions), 2000):
        conn.execute(insert(s.unit_version), versions[i:i + 2000])
    say(f"Xã: {len(communes)} trước, {len(new_communes)} sau 01/07/2025")

    # --- lineage ---------------------------------------------------------------------------------
    events: list[tuple[EventKind, LegalBasis, list[tuple[int | None, int | None, bool, bool]]]] = []
    legacy_prov_by_key = {p.key: p for p in legacy_prov}
    for p in new_prov:
        links = [(legacy_prov_id[k], new_prov_id[p.code], False, True)
                 for k in data.province_predecessors[p.key] if k in legacy_prov_by_key]
        ev_kind = EventKind.REPARENT if len(links) == 1 and links[0][0] == links[0][1] else EventKind.MERGE
        events.append((ev_kind, PROVINCE_BASIS, list(links)))
    events.append((EventKind.DISSOLVE, DISTRICT_BASIS, [(district_id[d.code], None, False, False) for d in districts]))
    for nc in new_communes:
        nk = vn_data.commune_key(nc)
        to_id = new_id_by_key[nk]
        clinks: list[tuple[int | None, int | None, bool, bool]] = [
            (legacy_id_by_key[old], to_id, partial, default) for old, partial, default in pred[nk]]
        if nk in continuing:
            ev_kind = EventKind.REPARENT
        elif len(clinks) == 1:
            ev_kind = EventKind.SPLIT
        else:
            ev_kind = EventKind.MERGE
        events.append((ev_kind, COMMUNE_BASIS, clinks))
    ev_rows = [{"kind": k.value, "effective_date": REFORM_DATE, "doc_number": b.document_number,
                "doc_date": b.document_date, "issuer": b.issuer, "note": b.note, "source_id": source_id}
               for k, b, _ in events]
    ev_ids = [int(r[0]) for r in conn.execute(
        insert(s.lineage_event).returning(s.lineage_event.c.id, sort_by_parameter_order=True), ev_rows)]
    link_rows = [{"event_id": ev, "from_unit_id": f, "to_unit_id": t, "partial": p, "primary_successor": pr}
                 for ev, (_k, _b, links) in zip(ev_ids, events, strict=True) for f, t, p, pr in links]
    for i in range(0, len(link_rows), 5000):
        conn.execute(insert(s.lineage_link), link_rows[i:i + 5000])
    say(f"Sự kiện kế thừa: {len(events)}")
    return {
        "legacy_provinces": len(legacy_prov), "districts": len(districts), "legacy_communes": len(communes),
        "provinces": len(new_prov), "communes": len(new_communes), "lineage_events": len(events),
    }
