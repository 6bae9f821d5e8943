"""Papers of dossiers before the reform: addressed to the district, with or without the commune council."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from docx import Document

from tinhgon.dossier import service
from tinhgon.dossier.documents import write_documents

from .conftest import World, make_plan


def _text(path: Path) -> str:
    d = Document(str(path))
    parts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells]
    return " ".join(" ".join(parts).split())


def _papers(w: World, key: str, name: str, tmp_path: Path) -> dict[str, str]:
    make_plan(w, key, name, dt.date(2024, 12, 2))
    with w.engine.begin() as conn:
        did = service.create_dossiers(conn, name)[0]
        written = write_documents(conn, did, tmp_path / name, on=dt.date(2024, 12, 5))
    return {x.kind: _text(x.path) for x in written if x.path.suffix == ".docx" and x.kind not in ("phieu",)}


def test_before_the_reform_the_submission_goes_to_the_district_and_lists_the_council_resolution_only_with_a_council(
        world: World, tmp_path: Path) -> None:
    xa = _papers(world, "xa", "PA-xa-vb", tmp_path)
    assert "Kính gửi: Ủy ban nhân dân Huyện Thử" in xa["to-trinh"]
    assert "Nghị quyết của HĐND Xã Thử thông qua Đề án" in xa["to-trinh"]
    ward = _papers(world, "ward", "PA-phuong-vb", tmp_path)
    assert "Kính gửi: Ủy ban nhân dân Quận Thử" in ward["to-trinh"]
    assert "Nghị quyết của HĐND Phường Cũ" not in ward["to-trinh"]
    assert "ỦY BAN NHÂN DÂN QUẬN THỬ" in ward["de-an"] and "ỦY BAN NHÂN DÂN PHƯỜNG CŨ" in ward["de-an"]
    # the scheme lists every group of the commune with its households, and the merger of the first two
    for n, hh in enumerate([120, 140, 500, 480], 1):
        assert f"00100-{n:02d} Tổ dân phố số {n} {hh}" in ward["de-an"]
    assert "Sáp nhập 2 tổ thành 1 tổ mới" in ward["de-an"]
    assert "Tổ dân phố số 1 (120 hộ); Tổ dân phố số 2 (140 hộ) thành Tổ mới số 1 có 260 hộ" in \
        ward["du-thao-nghi-quyet"]
    assert "HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ HÀ NỘI" in ward["du-thao-nghi-quyet"]
    assert "Cuộc lấy ý kiến chưa được tổ chức" in ward["ket-qua"]
