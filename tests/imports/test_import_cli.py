"""`tinhgon import / export / template` against the registry: all-or-nothing, idempotent, recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.registry.import_tables import import_record

AT = "2025-06-30"


def cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tinhgon.cli", *args], capture_output=True, text=True,
                          timeout=600, **kw)  # type: ignore[call-overload]


def digest() -> str:
    """Every table but the change log, the import record and the data version (which note attempts and
    commits, not data)."""
    h = hashlib.sha256()
    with db.get_engine().connect() as conn:
        for t in s.metadata.sorted_tables:
            if t.name in ("audit_log", "import_record", "data_version"):
                continue
            for row in conn.execute(select(*t.c).order_by(*t.primary_key.columns)):
                h.update(repr(tuple(row)).encode())
    db.dispose_all()
    return h.hexdigest()


def test_export_then_import_is_an_exact_round_trip_and_twice_changes_nothing(demo_url: str, tmp_path: Path) -> None:
    before = digest()
    for kind, ext in (("units", "csv"), ("adjacency", "xlsx"), ("households", "csv"), ("people", "xlsx"),
                      ("holdings", "csv")):
        out = tmp_path / f"{kind}.{ext}"
        r = cli("export", kind, "--unit", "00133", "--at", AT, "--output", str(out))
        assert r.returncode == 0, r.stderr
        for _ in range(2):
            r = cli("import", kind, str(out), "--at", AT)
            assert r.returncode == 0, (kind, r.stderr)
            assert "thêm 0, cập nhật 0" in r.stdout, (kind, r.stdout)
    assert digest() == before
    with db.get_engine().connect() as conn:
        rows = conn.execute(select(import_record)).all()
    assert len(rows) == 10 and all(len(r.sha256) == 64 for r in rows)


def test_new_groups_are_added_and_a_changed_size_becomes_a_new_version(demo_url: str, tmp_path: Path) -> None:
    f = tmp_path / "units.csv"
    f.write_text("code,name,parent_code,households,lat,lon,valid_to\n"
                 "00133-99,Tổ dân phố số 99,00133,321,21.04,105.87,2025-07-01\n"
                 "00133-01,Tổ dân phố số 1,00133,999,,,\n", encoding="utf-8")
    with db.get_engine().connect() as conn:
        old = repo.resolve_unit(conn, "00133-01", dt.date(2025, 6, 30))
    db.dispose_all()
    r = cli("import", "units", str(f), "--at", "2025-03-01")
    assert r.returncode == 0, r.stderr
    assert "thêm 1, cập nhật 1" in r.stdout
    with db.get_engine().connect() as conn:
        new = repo.resolve_unit(conn, "00133-99", dt.date(2025, 6, 30))
        assert new.households == 321 and new.kind.value == "to_dan_pho"
        assert repo.unit_at(conn, old.id, dt.date(2025, 2, 28)).households == old.households  # type: ignore[union-attr]
        assert repo.unit_at(conn, old.id, dt.date(2025, 3, 1)).households == 999  # type: ignore[union-attr]
        assert repo.integrity_problems(conn) == []


@pytest.mark.parametrize("content,needle", [
    ("code,name,parent_code,households\nA,Tổ A,00133,10\nA,Tổ A2,00133,20\n", "dòng 3"),          # duplicate
    ("code,name,parent_code,households\nA,Tổ A,NOPE,10\n", "NOPE"),                             # unknown parent
    ("code,name,parent_code,households\nA,Tổ A,A,10\n", "dòng 2"),                              # own parent
    ("code,name,parent_code,households\nA,Tổ A,B,10\nB,Tổ B,A,10\n", "dòng"),                  # cycle
    ("code,name,parent_code,households\nA,Tổ A,00133,-3\n", "households"),                     # negative
    ("code,name,parent_code,households\nA,Tổ A,00133,12.5\n", "households"),                   # fractional
    ("code,name,parent_code,households\nA,Tổ A,00133,nhiều\n", "households"),                  # text
    ("code,name,parent_code\nA,Tổ A,00133\n", "households"),                                   # missing column
    ("", "rỗng"),                                                                             # empty file
    ("code,name,parent_code,households,lat\nA,Tổ A,00133,10,123.4\n", "lat"),                 # latitude
    ("code,name,parent_code,households,valid_from\nA,Tổ A,00133,10,30/02/2025\n", "valid_from"),  # date
])
def test_bad_units_file_exits_2_and_changes_nothing(demo_url: str, tmp_path: Path, content: str,
                                                    needle: str) -> None:
    before = digest()
    f = tmp_path / "bad.csv"
    f.write_text(content, encoding="utf-8")
    r = cli("import", "units", str(f), "--at", AT)
    assert r.returncode == 2, r.stdout + r.stderr
    assert needle.lower() in r.stderr.lower() and "Traceback" not in r.stderr
    assert digest() == before


def test_a_new_unit_outliving_its_parent_is_refused(demo_url: str, tmp_path: Path) -> None:
    before = digest()
    f = tmp_path / "u.csv"
    f.write_text("code,name,parent_code,households\n00133-98,Tổ dân phố số 98,00133,300\n", encoding="utf-8")
    r = cli("import", "units", str(f), "--at", AT)
    assert r.returncode == 2 and "30/06/2025" in r.stderr, r.stderr
    assert digest() == before


def test_one_bad_row_among_many_good_ones_writes_none(demo_url: str, tmp_path: Path) -> None:
    before = digest()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Mã hộ", "Mã tổ dân phố / thôn", "Họ tên chủ hộ", "Địa chỉ", "Số nhân khẩu"])
    for k in range(3000):
        ws.append([f"NEW-{k:05d}", "00133-01", "Nguyễn Văn Thử", f"Số {k}", 3])
    ws.append(["NEW-bad", "00133-01", "Lê Thị Sai", "Số 1", 0])  # members must be at least 1
    f = tmp_path / "ho.xlsx"
    wb.save(f)
    r = cli("import", "households", str(f), "--at", AT)
    assert r.returncode == 2
    assert "3002" in r.stderr  # the header is row 1: the bad row is 3002
    assert digest() == before


def test_binary_garbage_and_a_zip_bomb_are_refused(demo_url: str, tmp_path: Path) -> None:
    import zipfile

    garbage = tmp_path / "rac.xlsx"
    garbage.write_bytes(os.urandom(4096))
    bomb = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 1024 * 1024))
    before = digest()
    for f in (garbage, bomb):
        r = cli("import", "units", str(f), "--at", AT)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert digest() == before


def test_dry_run_checks_and_writes_nothing(demo_url: str, tmp_path: Path) -> None:
    before = digest()
    f = tmp_path / "u.csv"
    f.write_text("code,name,parent_code,households,valid_to\nNEW1,Tổ mới,00133,400,2025-07-01\n", encoding="utf-8")
    r = cli("import", "units", str(f), "--at", AT, "--dry-run")
    assert r.returncode == 0 and "không ghi" in r.stdout
    assert digest() == before


def test_templates_have_vietnamese_headers_and_drop_downs(tmp_path: Path) -> None:
    for kind in ("units", "adjacency", "households", "people", "holdings", "ballots"):
        out = tmp_path / f"{kind}.xlsx"
        r = cli("template", kind, "--output", str(out))
        assert r.returncode == 0, r.stderr
        wb = openpyxl.load_workbook(out)
        assert "Hướng dẫn" in wb.sheetnames
    ws = openpyxl.load_workbook(tmp_path / "units.xlsx").worksheets[0]
    assert ws.data_validations.dataValidation, "coded fields have drop-down lists"


def test_killing_an_import_midway_leaves_the_database_as_it_was(demo_url: str, tmp_path: Path) -> None:
    """A real SIGKILL while a large households file is being written: nothing of it remains."""
    f = tmp_path / "many.csv"
    with f.open("w", encoding="utf-8") as fh:
        fh.write("code,unit_code,head_name,address,members\n")
        for k in range(200_000):
            fh.write(f"K{k:07d},00133-01,Nguyễn Văn Kiểm,Số {k},2\n")
    before = digest()
    proc = subprocess.Popen([sys.executable, "-m", "tinhgon.cli", "import", "households", str(f), "--at", AT],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(6.0)  # validation takes a few seconds; then the writes run in one transaction
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert digest() == before
    with db.get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_record)).scalar() == 0


def test_geometry_import_sets_shapes_and_adjacency_from_shared_edges(demo_url: str, tmp_path: Path) -> None:
    import json

    # three squares in a row for three groups of Ngọc Lâm: 01|02|03, so 01-02 and 02-03 touch, 01-03 do not
    feats = []
    for k, code in enumerate(["00133-01", "00133-02", "00133-03"]):
        x0 = 105.86 + k * 0.001
        ring = [[x0, 21.04], [x0 + 0.001, 21.04], [x0 + 0.001, 21.041], [x0, 21.041], [x0, 21.04]]
        feats.append({"type": "Feature", "properties": {"ma": code},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    f = tmp_path / "ranh-gioi.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    r = cli("import-geometry", str(f), "--at", AT, "--code-property", "ma")
    assert r.returncode == 0, r.stderr
    with db.get_engine().connect() as conn:
        ids = {c: repo.resolve_unit(conn, c, dt.date(2025, 6, 30)).id for c in ("00133-01", "00133-02", "00133-03")}
        edges = set(repo.adjacency_at(conn, dt.date(2025, 6, 30), ids.values()))
        g1 = repo.unit_at(conn, ids["00133-01"], dt.date(2025, 6, 30))
    pair = lambda a, b: (min(ids[a], ids[b]), max(ids[a], ids[b]))  # noqa: E731
    assert pair("00133-01", "00133-02") in edges and pair("00133-02", "00133-03") in edges
    assert g1 is not None and g1.geometry and "Polygon" in g1.geometry
    assert 105.86 < (g1.lon or 0) < 105.861
    bad = tmp_path / "sai.geojson"
    feats[0]["properties"]["ma"] = "KHONG-CO"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    before = digest()
    r = cli("import-geometry", str(bad), "--at", AT, "--code-property", "ma")
    assert r.returncode == 2 and "KHONG-CO" in r.stderr
    assert digest() == before


def test_bulk_households_are_written_and_later_inserts_do_not_collide(demo_url: str, tmp_path: Path) -> None:
    f = tmp_path / "ho.csv"
    f.write_text("code,unit_code,head_name,address,members\n"
                 + "".join(f"NEWHH-{k:04d},00133-02,Phạm Thị Mới,Số {k},3\n" for k in range(250)), encoding="utf-8")
    r = cli("import", "households", str(f), "--at", AT)
    assert r.returncode == 0, r.stderr
    with db.get_engine().begin() as conn:
        g = repo.resolve_unit(conn, "00133-02", dt.date(2025, 6, 30))
        codes = {h.code for h in repo.households_at(conn, dt.date(2025, 6, 30), [g.id])}
        assert {f"NEWHH-{k:04d}" for k in range(250)} <= codes
        heads = conn.execute(select(func.count()).select_from(s.person)
                             .where(s.person.c.code.like("NEWHH-%-CH"))).scalar()
        assert heads == 250
        # ids were given explicitly in bulk: the next ordinary insert must get a fresh one
        hid = repo.new_id(conn.execute(s.household.insert().values(code="AFTER-BULK")))
        pid = repo.new_id(conn.execute(s.person.insert().values(full_name="Người sau", party_member=False,
                                                                 is_head=False)))
        assert hid > 0 and pid > 0


HH_HEADER = ["Mã hộ", "Mã tổ dân phố / thôn", "Họ tên chủ hộ", "Địa chỉ", "Số nhân khẩu"]


def _households_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Hộ"
    for row in [HH_HEADER, *rows]:
        ws.append(row)
    wb.save(path)
    return path


def _marked(path: Path) -> dict[str, str]:
    """Cell -> comment text of every annotated cell of the copy's first sheet."""
    ws = openpyxl.load_workbook(path).worksheets[0]
    out = {}
    for row in ws.iter_rows():
        for c in row:
            if c.comment is not None:
                assert c.fill.fgColor.rgb.endswith("FFC7CE"), c.coordinate  # errors are filled red
                out[c.coordinate] = c.comment.text
    return out


def test_every_refused_file_gets_its_own_annotated_copy(demo_url: str, tmp_path: Path) -> None:
    one = _households_xlsx(tmp_path / "ho_1.xlsx", [["MF-0001", "00133-01", "Nguyễn Văn Một", "Số 1", 2],
                                                    ["MF-0002", "00133-01", "Trần Thị Hai", "Số 2", 0]])
    two = _households_xlsx(tmp_path / "ho_2.xlsx", [["MF-0003", "KHONG-CO", "Lê Văn Ba", "Số 3", 3],
                                                    ["MF-0004", "00133-02", "Phạm Thị Bốn", "Số 4", 1]])
    before = digest()
    report = tmp_path / "loi.xlsx"
    r = cli("import", "households", str(one), str(two), "--at", AT, "--report", str(report))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    second = tmp_path / "ho_2.loi.xlsx"
    assert f"Bản chú thích lỗi: {report} (tệp {one})" in r.stderr
    assert f"Bản chú thích lỗi: {second} (tệp {two})" in r.stderr
    # each copy marks only its own file's problems
    assert list(_marked(report)) == ["E3"] and "lớn hơn hoặc bằng 1" in _marked(report)["E3"]
    assert list(_marked(second)) == ["B2"] and "không tồn tại" in _marked(second)["B2"]
    assert openpyxl.load_workbook(second).worksheets[0]["C3"].value == "Phạm Thị Bốn"  # a copy of ho_2
    assert digest() == before
    with db.get_engine().connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_record)).scalar() == 0


def test_a_good_file_beside_a_refused_one_gets_no_annotated_copy(demo_url: str, tmp_path: Path) -> None:
    inputs = tmp_path / "vao"
    inputs.mkdir()
    good = inputs / "tot.csv"
    good.write_text("code,unit_code,head_name,address,members\nMF-0101,00133-01,Đỗ Văn Tốt,Số 5,2\n",
                    encoding="utf-8")
    bad = _households_xlsx(inputs / "sai.xlsx", [["MF-0102", "00133-01", "Vũ Thị Sai", "Số 6", "ba"]])
    out = tmp_path / "loi"
    out.mkdir()
    before = digest()
    r = cli("import", "households", str(good), str(bad), "--at", AT, "--report", str(out))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["sai.loi.xlsx"]
    assert sorted(p.name for p in inputs.iterdir()) == ["sai.xlsx", "tot.csv"]
    assert r.stderr.count("Bản chú thích lỗi:") == 1
    assert list(_marked(out / "sai.loi.xlsx")) == ["E2"]
    assert digest() == before


def test_a_phone_typed_in_the_template_is_stored_with_its_leading_zero(demo_url: str, tmp_path: Path) -> None:
    path = tmp_path / "nguoi.xlsx"
    assert cli("template", "people", "--output", str(path)).returncode == 0
    wb = openpyxl.load_workbook(path)
    ws = wb["Nhân sự"]
    assert ws["G1"].value == "Số điện thoại" and ws.column_dimensions["G"].number_format == "@"
    ws.delete_rows(2, ws.max_row)
    for col, value in zip("ABCDEFG", ["NS-PHONE-1", "Hoàng Văn Gọi", None, "Nam", "Không", None, "0912345678"],
                          strict=True):
        ws[f"{col}2"] = value
    wb.save(path)
    r = cli("import", "people", str(path), "--at", AT)
    assert r.returncode == 0 and "thêm 1" in r.stdout, r.stderr
    with db.get_engine().connect() as conn:
        phone = conn.execute(select(s.person.c.phone).where(s.person.c.code == "NS-PHONE-1")).scalar()
    assert phone == "0912345678"
