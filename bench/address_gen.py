"""Seeded generator of legacy commune addresses written the way people write them.

Every legacy commune of the package's snapshot (10,040) appears once, then extra rows are drawn at
random, each in a messy form: diacritics dropped, kinds abbreviated (P. / F. / Q. / TP. / TX. / H. /
X. / TT. / T.), numbered wards written "P.5" or "Phường 05", case changed, commas kept or dropped, a
street, house, group or village part in front, the district left out, the province shortened.

A form is only made when it still names one commune: diacritics are dropped only where no other
commune of the same district folds to the same name, the kind only where the name alone is unique in
the district, the district only where the commune is unique in its province in the form written.
Each row keeps the CLEAN form "Phường X, Quận Y, Thành phố Z" (no street) for the reference converter.

    python bench/address_gen.py --rows 12000 --seed 20250701 --output bench/out/addresses.csv
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import random
import sqlite3
import unicodedata
from collections import Counter
from pathlib import Path


def data_dir() -> Path:
    spec = importlib.util.find_spec("vietnamadminunits")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def short(name: str, kind: str) -> str:
    return name[len(kind) + 1:] if name.startswith(kind + " ") else name


WARD_KIND = {
    "Phường": ["Phường", "P.", "P", "phuong", "Ph."],
    "Xã": ["Xã", "X.", "xa", "xã"],
    "Thị trấn": ["Thị trấn", "TT.", "TT", "thi tran"],
}
DISTRICT_KIND = {
    "Quận": ["Quận", "Q.", "Q", "quan"],
    "Huyện": ["Huyện", "H.", "huyen"],
    "Thị xã": ["Thị xã", "TX.", "TX", "thi xa"],
    "Thành phố": ["Thành phố", "TP.", "TP", "thanh pho"],
}
PROVINCE_SHORT = {
    "Thành phố Hà Nội": ["Hà Nội", "TP. Hà Nội", "HN", "TP Ha Noi"],
    "Thành phố Hồ Chí Minh": ["TP.HCM", "TP. Hồ Chí Minh", "TPHCM", "Hồ Chí Minh", "HCM", "Sài Gòn"],
    "Tỉnh Bà Rịa - Vũng Tàu": ["Bà Rịa - Vũng Tàu", "BR-VT", "Bà Rịa Vũng Tàu"],
}
STREETS = ["Nguyễn Trãi", "Lê Lợi", "Trần Hưng Đạo", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt",
           "Nguyễn Văn Cừ", "Ngô Gia Tự", "Hùng Vương", "Phan Đình Phùng", "Cách Mạng Tháng Tám"]
VILLAGES = ["Đông", "Đoài", "Thượng", "Hạ", "Trung", "Bắc", "Nam", "Tân Lập", "Phú Mỹ", "An Bình"]


def street_part(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.30:
        return ""
    if roll < 0.45:
        return f"Số {rng.randint(1, 300)} ngõ {rng.randint(1, 99)} {rng.choice(STREETS)}"
    if roll < 0.60:
        return f"{rng.randint(1, 500)} đường {rng.choice(STREETS)}"
    if roll < 0.72:
        return f"Số {rng.randint(1, 200)}, tổ {rng.randint(1, 40)}"
    if roll < 0.84:
        return f"thôn {rng.choice(VILLAGES)}"
    if roll < 0.92:
        return f"tổ dân phố số {rng.randint(1, 30)}"
    return f"ấp {rng.randint(1, 9)}"


def load_rows() -> list[dict[str, str]]:
    con = sqlite3.connect(f"file:{data_dir() / 'dataset.db'}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT province, provinceCode, district, districtType, districtCode, ward, wardType, wardCode "
            "FROM admin_units_legacy WHERE wardCode IS NOT NULL ORDER BY wardCode").fetchall()
    finally:
        con.close()
    keys = ("province", "province_code", "district", "district_type", "district_code", "ward", "ward_type",
            "ward_code")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def make(rows: list[dict[str, str]], n_rows: int, seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    # what is unique, to keep every generated form decidable
    folded_in_district = Counter((r["district_code"], plain(r["ward"]).lower()) for r in rows)
    short_in_district = Counter((r["district_code"], short(r["ward"], r["ward_type"]).lower()) for r in rows)
    short_plain_in_district = Counter((r["district_code"], plain(short(r["ward"], r["ward_type"])).lower())
                                      for r in rows)
    full_in_province = Counter((r["province_code"], r["ward"].lower()) for r in rows)
    full_plain_in_province = Counter((r["province_code"], plain(r["ward"]).lower()) for r in rows)
    # a ward named like a district of its province makes a district-less form read as that district
    district_names = {(r["province_code"], plain(short(r["district"], r["district_type"])).lower()) for r in rows}

    order = list(rows) + [rng.choice(rows) for _ in range(max(0, n_rows - len(rows)))]
    out = []
    for i, r in enumerate(order, 1):
        kind, dkind = r["ward_type"], r["district_type"]
        wshort, dshort = short(r["ward"], kind), short(r["district"], dkind)
        numbered = wshort.isdigit()
        drop_accents = rng.random() < 0.45
        if drop_accents and folded_in_district[(r["district_code"], plain(r["ward"]).lower())] > 1:
            drop_accents = False
        key = plain(wshort).lower() if drop_accents else wshort.lower()
        unique_short = (short_plain_in_district if drop_accents else short_in_district)[(r["district_code"], key)] == 1
        # ward
        if numbered:
            k = rng.choice(["Phường", "P.", "P", "F."] if r["province_code"] == "79" else ["Phường", "P."])
            num = wshort if rng.random() < 0.6 else f"{int(wshort):02d}"
            ward = f"{k}{num}" if k in ("P", "F.") and rng.random() < 0.5 else f"{k} {num}"
            if k == "F." and r["province_code"] != "79":
                ward = f"Phường {num}"
        else:
            kinds = WARD_KIND[kind]
            ward = wshort if unique_short and rng.random() < 0.2 else f"{rng.choice(kinds)} {wshort}"
        # district
        full_key = (r["province_code"], (plain(r["ward"]) if drop_accents else r["ward"]).lower())
        unique_in_prov = (full_plain_in_province if drop_accents else full_in_province)[full_key] == 1
        unique_in_prov = unique_in_prov and (r["province_code"], plain(wshort).lower()) not in district_names
        if unique_in_prov and not numbered and rng.random() < 0.2 and ward != wshort:
            district = ""
        elif dshort.isdigit() or rng.random() < 0.7:
            district = f"{rng.choice(DISTRICT_KIND[dkind])} {dshort}"
        else:
            district = dshort
        # province
        p = r["province"]
        bare = short(p, "Tỉnh")
        choices = PROVINCE_SHORT.get(p, [p, bare, short(bare, "Thành phố"), f"T. {bare}"])
        if p.startswith("Thành phố") and p not in PROVINCE_SHORT:
            choices = [p, short(p, "Thành phố"), f"TP. {short(p, 'Thành phố')}"]
        province = rng.choice(choices)
        street = street_part(rng)
        parts = [x for x in (street, ward, district, province) if x]
        sep = rng.choice([", ", ", ", ", ", " , ", " "])
        text = sep.join(parts)
        if drop_accents:
            text = plain(text)
        case = rng.random()
        if case < 0.25:
            text = text.lower()
        elif case < 0.32:
            text = text.upper()
        clean = f"{r['ward']}, {r['district']}, {r['province']}"
        out.append({"id": str(i), "address": text, "clean": clean, "legacy_ward_code": r["ward_code"],
                    "legacy_province_code": r["province_code"]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=20250701)
    ap.add_argument("--output", type=Path, default=Path("bench/out/addresses.csv"))
    args = ap.parse_args()
    rows = make(load_rows(), args.rows, args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} addresses → {args.output}")


if __name__ == "__main__":
    main()
