"""The demo's next-round merger in Phường Bồ Đề (00118, after 2025-07-01): a complete dossier, its papers
rendered to PDF with the Vietnamese text intact, the consultation's result read from tinhgon.consult, and
the command line's exit codes."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import and_, select

from tinhgon.consult import service as consult
from tinhgon.domain.units import Level
from tinhgon.dossier import service
from tinhgon.dossier.documents import write_documents
from tinhgon.plans.service import create_plan
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s

PLAN_DAY = dt.date(2026, 1, 15)
DOC_DAY = dt.date(2026, 1, 20)


def _docx_text(path: Path) -> str:
    d = Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return " ".join(" ".join(parts).split())


def _pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def _cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from tinhgon import cli

    monkeypatch.setattr(sys, "argv", ["tinhgon", "dossier", *args])
    with pytest.raises(SystemExit) as done:
        cli.main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err


def test_demo_bo_de_dossier_generates_every_paper_and_follows_the_consultation(
        demo_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    engine = db.get_engine(demo_url)
    with engine.begin() as conn:
        plan = create_plan(conn, scope_code="00118", name="BoDe-2026", on=PLAN_DAY, mode="must", time_limit=3)
        ward = repo.resolve_unit(conn, "00118", PLAN_DAY, Level.COMMUNE)
        ids = service.create_dossiers(conn, "BoDe-2026", created_by="bode")
    assert len(ids) == 1
    did = ids[0]
    merged = sorted(u for g in plan.mergers for u in g.unit_ids)
    with engine.connect() as conn:
        d = service.load_dossier(conn, did)
        groups = repo.units_at(conn, PLAN_DAY, level=Level.RESIDENTIAL_GROUP, parent_ids=[ward.id])
        first = min((repo.unit_at(conn, u, PLAN_DAY) for u in merged), key=lambda u: u.code)  # type: ignore[union-attr]
        households = repo.household_counts_at(conn, PLAN_DAY, [first.id])[first.id]
        heads = conn.execute(select(s.household.c.code, s.person.c.full_name)
                             .join(s.person, and_(s.person.c.household_id == s.household.c.id, s.person.c.is_head))
                             .join(s.household_residence, s.household_residence.c.household_id == s.household.c.id)
                             .where(s.household_residence.c.unit_id == first.id)
                             .order_by(s.household.c.code)).all()
    assert d.commune.code == "00118" and "district" not in [x.code for x in d.steps]

    # the command line: status (exit 0), a skipped step (exit 2), the scheme done
    code, out = _cli(monkeypatch, capsys, "status", "--dossier", str(did), "--at", "2026-01-16")
    assert code == 0 and "Phường Bồ Đề" in out and "[scheme]" in out
    code, out = _cli(monkeypatch, capsys, "advance", "-d", str(did), "--step", "home-affairs", "--date", "2026-01-20")
    assert code == 2 and "không bỏ qua bước" in out
    code, _out = _cli(monkeypatch, capsys, "advance", "-d", str(did), "--step", "scheme", "--date", "2026-01-20",
                      "--as", "chu-tich")
    assert code == 0
    code, out = _cli(monkeypatch, capsys, "status", "--unit", "00118", "--at", "2026-01-21", "--json")
    assert code == 0 and '"done_by": "chu-tich"' in out
    code, out = _cli(monkeypatch, capsys, "documents", "-d", "9999", "-o", str(tmp_path / "x"))
    assert code == 2 and not (tmp_path / "x").exists()

    # the papers, with the household list and ballots of one group (the others are the same code path)
    out_dir = tmp_path / "hs"
    pdf = shutil.which("soffice") is not None and demo_url.startswith("sqlite")  # PDFs once, not per backend
    with engine.begin() as conn:
        written = write_documents(conn, did, out_dir, on=DOC_DAY, pdf=pdf, units=[first.code])
        service.record_generated(conn, did, [(w.kind, w.step, w.path) for w in written], on=DOC_DAY, by="bode")
    kinds = {w.kind for w in written}
    assert kinds == {"ban-do", "de-an", "to-trinh", "du-thao-nghi-quyet", "ket-qua", "danh-sach-ho", "phieu"}
    by_kind = {w.kind: w.path for w in written if w.path.suffix == ".docx"}

    scheme = _docx_text(by_kind["de-an"])
    assert "ĐỀ ÁN" in scheme and "Phường Bồ Đề" in scheme
    for g in groups:   # the current situation lists every group of the ward with its households
        assert f"{g.code} {g.name} {g.households:,}".replace(",", ".") in scheme
    assert f"Trên địa bàn Phường Bồ Đề hiện có {len(groups)} tổ dân phố" in scheme
    ballots = _docx_text(by_kind["phieu"])
    assert ballots.count("PHIẾU LẤY Ý KIẾN CỬ TRI ĐẠI DIỆN HỘ GIA ĐÌNH") == households == len(heads)
    assert all(f"Hộ: {code} — Chủ hộ: {name}" in ballots for code, name in heads)
    posted = _docx_text(by_kind["danh-sach-ho"])
    assert all(code in posted and name in posted for code, name in heads)
    assert "chưa được tổ chức" in _docx_text(by_kind["ket-qua"])
    assert "Kính gửi: Sở Nội vụ" in _docx_text(by_kind["to-trinh"])
    with engine.connect() as conn:
        stored = service.load_dossier(conn, did).documents
    assert {x["kind"] for x in stored if x["origin"] == "generated"} == kinds
    assert {x["step"] for x in stored if x["kind"] == "phieu"} == {"consultation"}

    if pdf:
        pdfs = {w.kind: w.path for w in written if w.path.suffix == ".pdf"}
        assert "ĐỀ ÁN Sáp nhập tổ dân phố trên địa bàn Phường Bồ Đề" in _pdf_text(pdfs["de-an"])
        text = _pdf_text(pdfs["phieu"])
        assert "PHIẾU LẤY Ý KIẾN CỬ TRI ĐẠI DIỆN HỘ GIA ĐÌNH" in text and "Không đồng ý" in text
        assert heads[0][1] in text
        assert "QUYẾT NGHỊ" in _pdf_text(pdfs["du-thao-nghi-quyet"])
        assert "HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ HÀ NỘI" in _pdf_text(pdfs["du-thao-nghi-quyet"])
        assert "Cuộc lấy ý kiến chưa được tổ chức" in _pdf_text(pdfs["ket-qua"])
        assert "Kính gửi: Sở Nội vụ" in _pdf_text(pdfs["to-trinh"])

    # the consultation held in tinhgon decides the consultation step: every household agrees
    with engine.begin() as conn:
        consult.add_official(conn, "bode", scope_unit_id=ward.id)
        cid = consult.create_from_plan(conn, "BoDe-2026", on=dt.date(2026, 2, 1))
        rows = [(i + 2, e.voter_code, "agree", None) for i, e in enumerate(consult.roll_entries(conn, cid))]
        consult.import_ballots(conn, cid, consult.get_official(conn, "bode"), rows, file="phieu.xlsx")
    with engine.begin() as conn, pytest.raises(Exception, match="chưa có kết quả cuối cùng"):
        service.advance(conn, did, "consultation", on=dt.date(2026, 2, 5), by="bode")
    with engine.begin() as conn:
        consult.close_round(conn, cid, by="bode")
        d = service.advance(conn, did, "consultation", on=dt.date(2026, 2, 5), by="bode")
    assert [x.stored_status for x in d.steps if x.code == "consultation"] == ["done"]
    with engine.begin() as conn:
        written = write_documents(conn, did, tmp_path / "hs2", on=DOC_DAY, units=[first.code])
    summary = _docx_text(next(w.path for w in written if w.kind == "ket-qua"))
    assert "Kết quả chung: đạt (tán thành)" in summary
    assert f"{first.code} " in summary and f"{households:,}".replace(",", ".") in summary
