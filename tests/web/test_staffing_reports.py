"""Staffing (tinhgon.staffing) and review reports (tinhgon.reports) through the web: only for roles that see
personal data, inside the scope."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.conftest import OLD, demo_ids, login
from tests.web.test_plans import _wait

from tinhgon.registry import repo
from tinhgon.reliability.tables import audit_log
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts


@pytest.fixture
def app_ids(demo_url: str):  # type: ignore[no-untyped-def]
    ensure_demo_accounts(demo_url)
    return create_app(demo_url), demo_ids(demo_url)


def _last_log_id(app) -> int:  # type: ignore[no-untyped-def]
    with app.state.engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(audit_log.c.id), 0))).scalar_one())


def _log_after(app, last: int) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    with app.state.engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.id > last, audit_log.c.action.in_(["read", "export"])))
        return [dict(r._mapping) for r in rows]


def _is_office_file(body: bytes, member: str) -> bool:
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        return member in z.namelist()


def test_staffing_proposal_runs_in_the_background_and_downloads(app_ids) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("tinhgon.staffing.service", reason="the staffing service is not installed yet")
    pytest.importorskip("tinhgon.planner", reason="the planner is not installed yet")
    app, ids = app_ids
    c = TestClient(app)
    tok = login(c, "phuong.thuongthanh")
    r = c.post(f"/api/v1/plans?at={OLD.isoformat()}", json={"unit_id": ids.thuong_thanh, "threshold": 450},
               headers={"X-CSRF-Token": tok})
    pid = _wait(c, r.json()["id"])["plan_id"]
    assert "chưa có đề xuất" in c.get(f"/plans/{pid}/staffing").text
    r = c.post(f"/plans/{pid}/staffing", headers={"X-CSRF-Token": tok}, follow_redirects=False)
    assert r.status_code == 303
    job = app.state.jobs.wait(r.headers["location"].rsplit("/", 1)[1], 120)
    assert job is not None and job.status == "done", job and job.error
    last = _last_log_id(app)
    page = c.get(f"/plans/{pid}/staffing")
    assert page.status_code == 200 and "Tiết kiệm mỗi năm" in page.text
    x = c.get(f"/plans/{pid}/staffing.xlsx")
    assert x.status_code == 200 and _is_office_file(x.content, "xl/workbook.xml")
    # the page showed, and the file carried, the names of the staff: one read and one export per person
    log = _log_after(app, last)
    reads = {e["person_id"] for e in log if e["action"] == "read"}
    exports = {e["person_id"] for e in log if e["action"] == "export"}
    assert reads and reads == exports and None not in reads
    assert {e["actor"] for e in log} == {"phuong.thuongthanh"}
    assert all(f"bo-tri-can-bo-{pid}.xlsx" in e["after"] for e in log if e["action"] == "export")
    viewer = TestClient(app)
    login(viewer, "xem.longbien")
    assert viewer.get(f"/plans/{pid}/staffing").status_code == 403
    assert viewer.get(f"/plans/{pid}/staffing.xlsx").status_code == 403


def test_review_report_downloads_as_docx_inside_the_scope_only(app_ids) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("tinhgon.reports.review", reason="the reports module is not installed yet")
    app, ids = app_ids
    c = TestClient(app)
    login(c, "phuong.thuongthanh")
    last = _last_log_id(app)
    r = c.get(f"/units/{ids.thuong_thanh}/review.docx", params={"frm": "01/01/2025", "to": "30/06/2025"})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert _is_office_file(r.content, "word/document.xml")
    # the report is signed with the chairman's and the party secretary's names: an export of each
    with app.state.engine.connect() as conn:
        signers = {h.person_id for h in repo.holdings_at(conn, OLD, [ids.thuong_thanh])
                   if h.title_code in ("chu_tich_ubnd", "bi_thu_dang_uy")}
    log = _log_after(app, last)
    assert signers and {e["person_id"] for e in log} == signers
    assert {(e["action"], e["actor"], e["unit_id"]) for e in log} == \
        {("export", "phuong.thuongthanh", ids.thuong_thanh)}
    assert c.get(f"/units/{ids.ngoc_lam}/review.docx", params={"frm": "01/01/2025", "to": "30/06/2025"}
                 ).status_code == 403
    viewer = TestClient(app)
    login(viewer, "xem.longbien")
    assert viewer.get(f"/units/{ids.thuong_thanh}/review.docx", params={"frm": "01/01/2025", "to": "30/06/2025"}
                      ).status_code == 403
    assert c.get("/reports?at=2025-06-30").status_code == 200
