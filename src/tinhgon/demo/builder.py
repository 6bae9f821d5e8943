"""A deterministic demo registry: the national tree plus Long Biên district (Hà Nội, code 004) with
generated residential groups, households, residents and title holdings.

Two periods: groups as they stood after Long Biên's 2019 merger (from 2019-10-05, under the district's
wards) and, from 2025-07-01, the same groups re-parented to the new wards by the 2025 mapping (by
location where a ward was split). Sizes are spread like the seed articles report: some groups far
below Hà Nội's 450-household standard, a few above 600. Everything is drawn from one seeded RNG, so
two runs give identical databases.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, select

from tinhgon.demo.names import person_name
from tinhgon.domain.units import Kind, Level, Region
from tinhgon.registry import repo, seed
from tinhgon.registry import schema as s
from tinhgon.registry.titles import load_title_types

DISTRICT_CODE = "004"
GROUPS_FROM = dt.date(2019, 10, 5)   # Long Biên finished its 2019 merger on 5-10-2019 (article 003)
REFORM = seed.REFORM_DATE
PILOT_FROM = dt.date(2021, 7, 1)
SEED = 20191005
LOADED_AT = dt.datetime(2026, 1, 1, 0, 0, 0)

GROUP_TITLES = ("bi_thu_chi_bo", "to_truong", "truong_ban_ctmt")
WARD_PART_TIME = ("van_phong_dang_uy", "tuyen_giao", "to_chuc_kiem_tra", "pho_chu_tich_mttq", "pho_bi_thu_doan",
                  "pho_chu_tich_hoi_phu_nu", "pho_chu_tich_hoi_ccb", "chu_tich_hoi_nct", "chu_tich_hoi_chu_thap_do",
                  "van_thu_thu_quy", "quan_ly_nha_van_hoa", "pho_chi_huy_truong_quan_su")


def _short(name: str) -> str:
    return name.split(" ", 1)[1] if name.startswith("Phường ") else name


def build_demo(conn: Connection, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Build the demo into an open transaction; logged as one change-log entry, not one per row."""
    from tinhgon.reliability import auditlog

    with auditlog.suspended():
        result = _build(conn, progress)
    auditlog.record_system(conn, "demo", "unit", result)
    return result


def _build(conn: Connection, progress: Callable[[str], None] | None) -> dict[str, int]:
    say = progress or (lambda _m: None)
    rng = random.Random(SEED)
    seed.seed_vietnam(conn, progress=say, loaded_at=LOADED_AT)
    ensure_title_types(conn)

    legacy_day = GROUPS_FROM
    district = repo.resolve_unit(conn, DISTRICT_CODE, legacy_day, Level.DISTRICT)
    wards = repo.children(conn, district.id, legacy_day)
    say(f"{district.name}: {len(wards)} phường")

    # new wards each legacy ward went into, with their centroids
    successor_of: dict[int, list[tuple[int, float, float]]] = {}
    for w in wards:
        lst = []
        for uid, _partial, _d in repo.successors(conn, w.id):
            nw = repo.unit_at(conn, uid, REFORM)
            assert nw is not None and nw.lat is not None and nw.lon is not None
            lst.append((uid, nw.lat, nw.lon))
        successor_of[w.id] = lst

    # --- groups ---------------------------------------------------------------------------------
    # demo assumption: the wards' class (loại đơn vị hành chính) is not in the source; large wards class I
    group_counts = [rng.randint(18, 34) for _ in wards]
    for w, n in zip(wards, group_counts, strict=True):
        conn.execute(s.unit_version.update().where(s.unit_version.c.id == w.version_id)
                     .values(commune_class=1 if n >= 24 else 2))
    centres = np.array([[w.lat, w.lon] for w in wards], dtype=float)
    group_rows: list[dict[str, Any]] = []
    group_meta: list[tuple[int, int, float, float, int]] = []  # (ward index, number, lat, lon, households)
    for wi, w in enumerate(wards):
        d = np.sqrt(((centres - centres[wi]) ** 2).sum(axis=1))
        d[wi] = np.inf
        radius = 0.55 * float(d.min())
        n_groups = group_counts[wi]
        for n in range(1, n_groups + 1):
            r = radius * math.sqrt(rng.random())
            a = rng.random() * 2 * math.pi
            assert w.lat is not None and w.lon is not None  # every ward has a position in the source
            lat, lon = w.lat + r * math.sin(a), w.lon + r * math.cos(a) / math.cos(math.radians(21))
            # lognormal sizes (median ≈ 330 households), clipped to what a real group can be
            hh = int(min(900, max(60, rng.lognormvariate(math.log(330), 0.42))))
            group_meta.append((wi, n, lat, lon, hh))

    levels = [Level.RESIDENTIAL_GROUP] * len(group_meta)
    group_ids = [int(r[0]) for r in conn.execute(
        insert(s.unit).returning(s.unit.c.id, sort_by_parameter_order=True),
        [{"level": lv.value, "source_id": None} for lv in levels])]
    for gid, (wi, n, lat, lon, hh) in zip(group_ids, group_meta, strict=True):
        w = wards[wi]
        base = {"unit_id": gid, "level": Level.RESIDENTIAL_GROUP.value, "code": f"{w.code}-{n:02d}",
                "kind": Kind.TO_DAN_PHO.value, "households": hh, "lat": round(lat, 6), "lon": round(lon, 6),
                "region": Region.RED_RIVER_DELTA.value, "province_code": "01", "urban": True,
                "mountainous": False, "border": False, "island": False, "security_key": False, "row_version": 1,
                "population": None, "area_km2": None, "geometry": None, "commune_class": None}
        group_rows.append({**base, "name": f"Tổ dân phố số {n}", "parent_id": w.id,
                           "valid_from": GROUPS_FROM, "valid_to": REFORM})
        succ = successor_of[w.id]
        new_parent = min(succ, key=lambda t: (t[1] - lat) ** 2 + (t[2] - lon) ** 2)[0]
        group_rows.append({**base, "name": f"Tổ dân phố số {n} {_short(w.name)}", "parent_id": new_parent,
                           "valid_from": REFORM, "valid_to": None})
    conn.execute(insert(s.unit_version), group_rows)
    say(f"Tổ dân phố: {len(group_ids)}")

    # adjacency: Delaunay edges between group points that are not unreasonably long
    from scipy.spatial import Delaunay

    pts = np.array([[m[2], m[3] * math.cos(math.radians(21))] for m in group_meta])
    tri = Delaunay(pts)
    edges: set[tuple[int, int]] = set()
    for simplex in tri.simplices:
        for i in range(3):
            a, b = int(simplex[i]), int(simplex[(i + 1) % 3])
            edges.add((min(a, b), max(a, b)))
    lengths = {e: float(np.hypot(*(pts[e[0]] - pts[e[1]]))) for e in edges}
    cut = float(np.percentile(list(lengths.values()), 95))
    pairs = [(group_ids[a], group_ids[b]) for (a, b), ln in sorted(lengths.items()) if ln <= cut]
    repo.add_adjacency(conn, pairs, valid_from=GROUPS_FROM)

    # --- households and residents -------------------------------------------------------------------
    hh_rows: list[dict[str, Any]] = []
    res_rows: list[dict[str, Any]] = []
    person_rows: list[dict[str, Any]] = []
    heads_by_group: dict[int, list[int]] = {}
    next_hh = _next_id(conn, s.household)
    next_person = _next_id(conn, s.person)
    for gid, (wi, n, _lat, _lon, hh) in zip(group_ids, group_meta, strict=True):
        w = wards[wi]
        heads = []
        for k in range(1, hh + 1):
            hid = next_hh
            next_hh += 1
            code = f"{w.code}-{n:02d}-{k:04d}"
            hh_rows.append({"id": hid, "code": code})
            res_rows.append({"household_id": hid, "unit_id": gid, "members": rng.randint(1, 6),
                             "address": f"Số {k}, tổ {n}, {w.name}, {district.name}, Thành phố Hà Nội",
                             "valid_from": GROUPS_FROM, "valid_to": None})
            female = rng.random() < 0.38
            age = rng.randint(24, 88)
            person_rows.append({
                "id": next_person, "code": f"P{code}", "full_name": person_name(rng, female),
                "birth_date": dt.date(2019 - age, rng.randint(1, 12), rng.randint(1, 28)),
                "gender": "nu" if female else "nam", "party_member": rng.random() < 0.09,
                "household_id": hid, "is_head": True, "phone": None,
            })
            heads.append(next_person)
            next_person += 1
        heads_by_group[gid] = heads
    _bulk(conn, s.household, hh_rows)
    _bulk(conn, s.household_residence, res_rows)
    say(f"Hộ gia đình: {len(hh_rows)}")
    people = {p["id"]: p for p in person_rows}

    # --- titles ---------------------------------------------------------------------------------
    holdings: list[dict[str, Any]] = []

    def hold(pid: int, title: str, unit_id: int, concurrent: bool, frm: dt.date, to: dt.date | None) -> None:
        holdings.append({"person_id": pid, "title_code": title, "unit_id": unit_id, "concurrent": concurrent,
                         "valid_from": frm, "valid_to": to, "decision": None})
        if title in ("bi_thu_chi_bo", "van_phong_dang_uy", "tuyen_giao", "to_chuc_kiem_tra", "bi_thu_dang_uy"):
            people[pid]["party_member"] = True

    for gid, (_wi, _n, _lat, _lon, _hh) in zip(group_ids, group_meta, strict=True):
        cands = heads_by_group[gid][:]
        rng.shuffle(cands)
        secretary, head, front = cands[0], cands[1], cands[2]
        roll = rng.random()
        if roll < 0.16:      # bí thư chi bộ kiêm tổ trưởng
            hold(secretary, "bi_thu_chi_bo", gid, False, GROUPS_FROM, None)
            hold(secretary, "to_truong", gid, True, GROUPS_FROM, None)
            hold(front, "truong_ban_ctmt", gid, False, GROUPS_FROM, None)
        elif roll < 0.30:    # bí thư chi bộ kiêm trưởng ban công tác Mặt trận
            hold(secretary, "bi_thu_chi_bo", gid, False, GROUPS_FROM, None)
            hold(secretary, "truong_ban_ctmt", gid, True, GROUPS_FROM, None)
            hold(head, "to_truong", gid, False, GROUPS_FROM, None)
        elif roll < 0.33:    # a vacant Front-committee head: seen in small groups
            hold(secretary, "bi_thu_chi_bo", gid, False, GROUPS_FROM, None)
            hold(head, "to_truong", gid, False, GROUPS_FROM, None)
        else:
            hold(secretary, "bi_thu_chi_bo", gid, False, GROUPS_FROM, None)
            hold(head, "to_truong", gid, False, GROUPS_FROM, None)
            hold(front, "truong_ban_ctmt", gid, False, GROUPS_FROM, None)

    # ward part-time workers (they end with the legacy wards on 2025-07-01) and ward leaders
    groups_of_ward: dict[int, list[int]] = {}
    for gid, meta in zip(group_ids, group_meta, strict=True):
        groups_of_ward.setdefault(wards[meta[0]].id, []).append(gid)
    for w in wards:
        gids = groups_of_ward[w.id]
        pool = [p for g in gids for p in heads_by_group[g][3:12]]
        rng.shuffle(pool)
        titles = list(WARD_PART_TIME)
        n_people = len(titles) - rng.randint(1, 3)      # some people hold two titles
        workers = pool[:n_people]
        for i, title in enumerate(titles):
            pid = workers[i] if i < n_people else workers[rng.randrange(n_people)]
            hold(pid, title, w.id, i >= n_people, GROUPS_FROM, REFORM)
        # a ward part-time worker who also heads a group's Front committee where it was vacant
        for g in gids:
            if not any(h["unit_id"] == g and h["title_code"] == "truong_ban_ctmt" for h in holdings):
                hold(workers[rng.randrange(n_people)], "truong_ban_ctmt", g, True, GROUPS_FROM, REFORM)
                break
        leaders = pool[n_people:n_people + 4]
        hold(leaders[0], "bi_thu_dang_uy", w.id, False, GROUPS_FROM, REFORM)
        # Hà Nội's urban-government pilot: no ward People's Council from 2021-07-01 (Nghị định 32/2021)
        hold(leaders[0], "chu_tich_hdnd", w.id, True, GROUPS_FROM, PILOT_FROM)
        hold(leaders[1], "chu_tich_ubnd", w.id, False, GROUPS_FROM, REFORM)
        hold(leaders[2], "chu_tich_mttq", w.id, False, GROUPS_FROM, REFORM)
        hold(leaders[3], "tu_phap_ho_tich", w.id, False, GROUPS_FROM, REFORM)
    _bulk(conn, s.person, person_rows)  # after the titles: holding a party title sets party_member
    _bulk(conn, s.title_holding, holdings)
    say(f"Chức danh: {len(holdings)}")
    return {"wards": len(wards), "groups": len(group_ids), "households": len(hh_rows), "people": len(person_rows),
            "holdings": len(holdings), "adjacency": len(pairs)}


def ensure_title_types(conn: Connection) -> None:
    have = {r[0] for r in conn.execute(select(s.title_type.c.code))}
    rows = [{"code": t.code, "name_vi": t.name_vi, "name_en": t.name_en, "level": t.level.value,
             "grp": t.group.value, "requires_party_member": t.requires_party_member, "sort_order": t.sort_order}
            for t in load_title_types().values() if t.code not in have]
    if rows:
        conn.execute(insert(s.title_type), rows)


def _next_id(conn: Connection, table: Any) -> int:
    from sqlalchemy import func

    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _bulk(conn: Connection, table: Any, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    for i in range(0, len(rows), chunk):
        conn.execute(insert(table), rows[i:i + chunk])
