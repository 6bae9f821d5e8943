"""Administrative units, their levels and kinds, and validity by date.

Validity is half-open: a record holds on day ``d`` when ``valid_from <= d < valid_to``;
``None`` means "since records began" / "still in force". A legacy commune closed by the 2025 reform
has ``valid_to = 2025-07-01``: it existed on 2025-06-30 and not on 2025-07-01.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    RESIDENTIAL_GROUP = "residential_group"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]

    @property
    def label_vi(self) -> str:
        return _LEVEL_VI[self]


_LEVEL_RANK = {Level.PROVINCE: 1, Level.DISTRICT: 2, Level.COMMUNE: 3, Level.RESIDENTIAL_GROUP: 4}
_LEVEL_VI = {
    Level.PROVINCE: "cấp tỉnh",
    Level.DISTRICT: "cấp huyện",
    Level.COMMUNE: "cấp xã",
    Level.RESIDENTIAL_GROUP: "thôn, tổ dân phố",
}


class Kind(StrEnum):
    """The Vietnamese kind of a unit: what its name starts with."""

    TINH = "tinh"                      # Tỉnh
    THANH_PHO_TW = "thanh_pho_tw"      # Thành phố trực thuộc trung ương
    QUAN = "quan"                      # Quận
    HUYEN = "huyen"                    # Huyện
    THI_XA = "thi_xa"                  # Thị xã
    THANH_PHO_TINH = "thanh_pho_tinh"  # Thành phố thuộc tỉnh (or thuộc TP trực thuộc TW)
    PHUONG = "phuong"                  # Phường
    XA = "xa"                          # Xã
    THI_TRAN = "thi_tran"              # Thị trấn
    DAC_KHU = "dac_khu"                # Đặc khu
    TO_DAN_PHO = "to_dan_pho"          # Tổ dân phố
    THON = "thon"                      # Thôn
    AP = "ap"                          # Ấp
    BAN = "ban"                        # Bản
    KHU_PHO = "khu_pho"                # Khu phố
    BUON = "buon"                      # Buôn
    PHUM = "phum"                      # Phum, sóc
    KHOM = "khom"                      # Khóm
    LANG = "lang"                      # Làng

    @property
    def level(self) -> Level:
        return KIND_LEVEL[self]

    @property
    def label_vi(self) -> str:
        return KIND_LABEL_VI[self]

    @property
    def is_urban_group(self) -> bool:
        """Tổ dân phố and khu phố/khóm are the urban residential groups (standard of the TDP column)."""
        return self in (Kind.TO_DAN_PHO, Kind.KHU_PHO, Kind.KHOM)


KIND_LEVEL: dict[Kind, Level] = {
    Kind.TINH: Level.PROVINCE,
    Kind.THANH_PHO_TW: Level.PROVINCE,
    Kind.QUAN: Level.DISTRICT,
    Kind.HUYEN: Level.DISTRICT,
    Kind.THI_XA: Level.DISTRICT,
    Kind.THANH_PHO_TINH: Level.DISTRICT,
    Kind.PHUONG: Level.COMMUNE,
    Kind.XA: Level.COMMUNE,
    Kind.THI_TRAN: Level.COMMUNE,
    Kind.DAC_KHU: Level.COMMUNE,
    Kind.TO_DAN_PHO: Level.RESIDENTIAL_GROUP,
    Kind.THON: Level.RESIDENTIAL_GROUP,
    Kind.AP: Level.RESIDENTIAL_GROUP,
    Kind.BAN: Level.RESIDENTIAL_GROUP,
    Kind.KHU_PHO: Level.RESIDENTIAL_GROUP,
    Kind.BUON: Level.RESIDENTIAL_GROUP,
    Kind.PHUM: Level.RESIDENTIAL_GROUP,
    Kind.KHOM: Level.RESIDENTIAL_GROUP,
    Kind.LANG: Level.RESIDENTIAL_GROUP,
}

KIND_LABEL_VI: dict[Kind, str] = {
    Kind.TINH: "Tỉnh",
    Kind.THANH_PHO_TW: "Thành phố",
    Kind.QUAN: "Quận",
    Kind.HUYEN: "Huyện",
    Kind.THI_XA: "Thị xã",
    Kind.THANH_PHO_TINH: "Thành phố",
    Kind.PHUONG: "Phường",
    Kind.XA: "Xã",
    Kind.THI_TRAN: "Thị trấn",
    Kind.DAC_KHU: "Đặc khu",
    Kind.TO_DAN_PHO: "Tổ dân phố",
    Kind.THON: "Thôn",
    Kind.AP: "Ấp",
    Kind.BAN: "Bản",
    Kind.KHU_PHO: "Khu phố",
    Kind.BUON: "Buôn",
    Kind.PHUM: "Phum, sóc",
    Kind.KHOM: "Khóm",
    Kind.LANG: "Làng",
}


class Region(StrEnum):
    """The regions of Thông tư 04/2012/TT-BNV Art. 7.1 (as amended), used by household standards."""

    NORTHERN_MIDLANDS_MOUNTAINS = "trung_du_mien_nui_phia_bac"
    RED_RIVER_DELTA = "dong_bang_song_hong"
    CENTRAL = "mien_trung"
    SOUTH = "mien_nam"
    CENTRAL_HIGHLANDS = "tay_nguyen"


def in_force(valid_from: dt.date | None, valid_to: dt.date | None, on: dt.date) -> bool:
    """Half-open validity test shared by every dated record."""
    return (valid_from is None or valid_from <= on) and (valid_to is None or on < valid_to)


def periods_overlap(a_from: dt.date | None, a_to: dt.date | None,
                    b_from: dt.date | None, b_to: dt.date | None) -> bool:
    lo_ok = a_to is None or b_from is None or b_from < a_to
    hi_ok = b_to is None or a_from is None or a_from < b_to
    return lo_ok and hi_ok


def period_within(inner_from: dt.date | None, inner_to: dt.date | None,
                  outer_from: dt.date | None, outer_to: dt.date | None) -> bool:
    """True when [inner_from, inner_to) lies inside [outer_from, outer_to)."""
    if outer_from is not None and (inner_from is None or inner_from < outer_from):
        return False
    return not (outer_to is not None and (inner_to is None or inner_to > outer_to))


@dataclass(slots=True)
class Unit:
    """A unit as it stood on one date (one version of its history).

    ``id`` is the identity across versions; ``code`` is only a label, valid for the version's dates.
    """

    id: int
    code: str
    name: str
    level: Level
    kind: Kind
    parent_id: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    households: int | None = None
    population: int | None = None
    area_km2: float | None = None
    lat: float | None = None
    lon: float | None = None
    geometry: str | None = None  # GeoJSON geometry, optional
    region: Region | None = None
    province_code: str | None = None  # for province-level rule overrides
    mountainous: bool = False
    border: bool = False
    island: bool = False
    urban: bool | None = None
    commune_class: int | None = None  # 1, 2, 3 (loại I, II, III); 0 = special
    security_key: bool = False        # trọng điểm / phức tạp về an ninh, trật tự
    version_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return self.name

    def in_force(self, on: dt.date) -> bool:
        return in_force(self.valid_from, self.valid_to, on)


def kind_from_name(name: str) -> Kind | None:
    """Guess the kind from a Vietnamese unit name's prefix ("Phường Bồ Đề" → PHUONG)."""
    low = name.strip().lower()
    for prefix, kind in _PREFIXES:
        if low.startswith(prefix):
            return kind
    return None


_PREFIXES: list[tuple[str, Kind]] = [
    ("thành phố", Kind.THANH_PHO_TINH),
    ("tỉnh", Kind.TINH),
    ("quận", Kind.QUAN),
    ("huyện", Kind.HUYEN),
    ("thị xã", Kind.THI_XA),
    ("thị trấn", Kind.THI_TRAN),
    ("phường", Kind.PHUONG),
    ("xã", Kind.XA),
    ("đặc khu", Kind.DAC_KHU),
    ("tổ dân phố", Kind.TO_DAN_PHO),
    ("tdp", Kind.TO_DAN_PHO),
    ("thôn", Kind.THON),
    ("ấp", Kind.AP),
    ("bản", Kind.BAN),
    ("khu phố", Kind.KHU_PHO),
    ("buôn", Kind.BUON),
    ("khóm", Kind.KHOM),
    ("làng", Kind.LANG),
]
