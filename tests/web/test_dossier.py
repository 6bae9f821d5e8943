"""The merger dossier in the web app and the API, on both backends: opening it for a plan, its steps with due
dates in working days and overdue flags (dd/mm/yyyy on the page), moving the current step on (no skipping,
refused input writes nothing), the papers generated from the data, and who may do what."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from docx import Document
from fastapi.testclient import TestClient
from sqlalchemy import and_, func, select
from tests.web.conftest import login

from tinhgon.dossier import service
from tinhgon.dossier import tables as dtab
from tinhgon.dossier.workdays import add_working_days
from tinhgon.plans.service import create_plan
from tinhgon.registry import db, repo
from tinhgon.registry import schema as s
from tinhgon.reliability.tables import audit_log
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

PLAN_DAY = dt.date(2026, 1, 15)   # the demo's next round: Phường Bồ Đề (00118) after 2025-07-01


@dataclass
class World:
    url: str
    app: object
    plan_id: int
    first_group: str     # the code of the first merged group

    def client(self, username: str) -> tuple[TestClient, str]:
        c = TestClient(self.app)  # type: ignore[arg-type]
        return c, login(c, username)


@pytest.fixture
def world(demo_url: str) -> Iterator[World]:
    ensure_demo_accounts(demo_url)
    with db.get_engine(demo_url).begin() as conn:
        plan = create_plan(conn, scope_code="00118", name="BoDe-2026", on=PLAN_DAY, mode="must", time_limit=3)
        merged = [repo.unit_at(conn, u, PLAN_DAY) for g in plan.mergers for u in g.unit_ids]
        first = min(u.code for u in merged if u is not None)
    assert plan.id is not None
    yield World(demo_url, create_app(demo_url), plan.id, first)
    db.dispose_all()


def _dossiers(url: str) -> int:
    with db.get_engine(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(dtab.dossier)).scalar_one())


def _docx_text(body: bytes) -> str:
    d = Document(io.BytesIO(body))
    parts = [p.text for p in d.paragraphs] + [c.text for t in d.tables for row in t.rows for c in row.cells]
    return " ".join(" ".join(parts).split())


def test_open_a_dossier_follow_its_deadlines_and_move_steps_on(world: World) -> None:
    c, tok = world.client("phuong.bode")
    r = c.post("/dossiers?at=2026-01-16", data={"csrf_token": tok, "plan_id": str(world.plan_id)},
               follow_redirects=False)
    assert r.status_code == 303, r.text[-500:]
    did = int(re.search(r"/dossiers/(\d+)", r.headers["location"]).group(1))  # type: ignore[union-attr]
    again = c.post("/dossiers?at=2026-01-16", data={"csrf_token": tok, "plan_id": str(world.plan_id)})
    assert again.status_code == 400 and "đã có hồ sơ" in again.text and _dossiers(world.url) == 1
    with db.get_engine(world.url).connect() as conn:
        stored = service.load_dossier(conn, did).report(dt.date(2026, 1, 16))   # what `dossier status --json` prints
    api = c.get(f"/api/v1/dossiers/{did}", params={"at": "2026-01-16"}).json()
    assert [(x["step"], x["status"], x["due"]) for x in api["steps"]] == \
        [(x["step"], x["status"], x["due"].isoformat() if x["due"] else None) for x in stored["steps"]]
    assert "district" not in [x["step"] for x in api["steps"]] and api["steps"][0]["status"] == "in_progress"
    listing = c.get("/dossiers?at=2026-01-16")
    assert listing.status_code == 200 and f"/dossiers/{did}" in listing.text and "Phường Bồ Đề" in listing.text
    # a later step cannot be done first; the page says so and nothing moves
    bad = c.post(f"/dossiers/{did}/advance?at=2026-01-20", data={"csrf_token": tok, "step": "home-affairs",
                                                                "done_on": "20/01/2026"})
    assert bad.status_code == 400 and "không bỏ qua bước" in bad.text
    ok = c.post(f"/dossiers/{did}/advance?at=2026-01-20", data={"csrf_token": tok, "step": "scheme",
                                                               "done_on": "20/01/2026"}, follow_redirects=False)
    assert ok.status_code == 303
    twice = c.post(f"/api/v1/dossiers/{did}/advance", headers={"X-CSRF-Token": tok},
                   json={"step": "scheme", "date": "2026-01-21"})
    assert twice.status_code == 400 and "không ghi lại lần hai" in twice.json()["detail"]
    # the consultation held outside tinhgon, then the commune council: the next step has a deadline in working
    # days counted by the holiday library (Tết 2026 falls in it)
    steps = [x["step"] for x in api["steps"]]
    for code, day in (("consultation", "2026-02-05"), ("commune-council", "2026-02-12")):
        r = c.post(f"/api/v1/dossiers/{did}/advance", headers={"X-CSRF-Token": tok}, params={"at": day},
                   json={"step": code, "date": day, "outcome": "passed" if code == "consultation" else None})
        assert r.status_code == 200, r.text
    nxt = next(x for x in r.json()["steps"] if x["position"] == steps.index("commune-council") + 2)
    due = add_working_days(dt.date(2026, 2, 12), nxt["working_days"])
    assert nxt["status"] == "in_progress" and nxt["due"] == due.isoformat()
    # overdue after its due date, on the page (dd/mm/yyyy, red flag) and in the API
    late_day = add_working_days(due, 3)
    late = c.get(f"/api/v1/dossiers/{did}", params={"at": late_day.isoformat()}).json()
    assert late["overdue"] == [nxt["step"]]
    assert next(x for x in late["steps"] if x["step"] == nxt["step"])["late_working_days"] == 3
    page = c.get(f"/dossiers/{did}?at={late_day:%d/%m/%Y}")
    assert page.status_code == 200 and 'id="overdue"' in page.text and "QUÁ HẠN" in page.text
    assert f"{due:%d/%m/%Y}" in page.text and "20/01/2026" in page.text
    assert c.get("/api/v1/dossiers", params={"at": late_day.isoformat()}).json()[0]["overdue"] == [nxt["step"]]
    c.get("/lang/en")
    english = c.get(f"/dossiers/{did}?at={late_day:%d/%m/%Y}").text
    assert "Merger dossier" in english and "OVERDUE" in english and "with a commune People's Council" in \
        html.unescape(english) and "QUÁ HẠN" not in english


def test_papers_download_and_household_lists_need_personal_rights(world: World) -> None:
    c, tok = world.client("phuong.bode")
    r = c.post(f"/api/v1/plans/{world.plan_id}/dossiers", headers={"X-CSRF-Token": tok}, json={})
    assert r.status_code == 201, r.text
    (d,) = r.json()
    names = {p["name"]: p for p in d["papers"]}
    assert {"de-an", "ban-do", "to-trinh", "du-thao-nghi-quyet", "ket-qua",
            f"danh-sach-ho-{world.first_group}", f"phieu-{world.first_group}"} <= set(names)
    scheme = c.get(names["de-an"]["urls"]["docx"], params={"at": "2026-01-20"})
    assert scheme.status_code == 200 and scheme.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    text = _docx_text(scheme.content)
    assert "ĐỀ ÁN" in text and "Phường Bồ Đề" in text and "20 tháng 01 năm 2026" in text
    png = c.get(names["ban-do"]["urls"]["png"])
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    ballots = c.get(names[f"phieu-{world.first_group}"]["urls"]["docx"])
    with db.get_engine(world.url).connect() as conn:
        unit = repo.resolve_unit(conn, world.first_group, PLAN_DAY)
        heads = conn.execute(select(s.household.c.code, s.person.c.full_name)
                             .join(s.person, and_(s.person.c.household_id == s.household.c.id, s.person.c.is_head))
                             .join(s.household_residence, s.household_residence.c.household_id == s.household.c.id)
                             .where(s.household_residence.c.unit_id == unit.id)).all()
    text = _docx_text(ballots.content)
    assert heads and text.count("PHIẾU LẤY Ý KIẾN CỬ TRI ĐẠI DIỆN HỘ GIA ĐÌNH") == len(heads)
    assert all(f"Hộ: {code} — Chủ hộ: {name}" in text for code, name in heads[:20])
    # the ballots name every household head: the download is logged as an export of each of them
    with db.get_engine(world.url).connect() as conn:
        exported = conn.execute(select(audit_log.c.person_id, audit_log.c.actor, audit_log.c.unit_id)
                                .where(audit_log.c.action == "export")).all()
    assert len({p for p, _a, _u in exported}) == len(heads)
    assert {(a, u) for _p, a, u in exported} == {("phuong.bode", unit.id)}
    assert c.get(f"/dossiers/{d['id']}/documents/phieu-99999-99.docx").status_code == 404
    assert c.get(f"/dossiers/{d['id']}/documents/../../etc/passwd").status_code == 404
    if shutil.which("soffice") and world.url.startswith("sqlite"):   # LibreOffice once, not per backend
        pdf = c.get(names["du-thao-nghi-quyet"]["urls"]["pdf"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # a viewer gets the papers without names, not the household lists and ballots
    v, _ = world.client("xem.longbien")
    seen = v.get(f"/api/v1/dossiers/{d['id']}").json()
    assert {p["personal"] for p in seen["papers"]} == {False}
    assert v.get(names["du-thao-nghi-quyet"]["urls"]["docx"]).status_code == 200
    assert v.get(names[f"phieu-{world.first_group}"]["urls"]["docx"]).status_code == 403
    page = v.get(f"/dossiers/{d['id']}")
    assert page.status_code == 200 and not any(name in page.text for _c, name in heads)


def test_viewers_cannot_write_and_accounts_elsewhere_see_nothing(world: World) -> None:
    c, tok = world.client("phuong.bode")
    did = c.post(f"/api/v1/plans/{world.plan_id}/dossiers", headers={"X-CSRF-Token": tok}, json={}).json()[0]["id"]
    v, vtok = world.client("xem.longbien")
    assert v.get(f"/dossiers/{did}").status_code == 200
    assert v.post(f"/dossiers/{did}/advance", data={"csrf_token": vtok, "step": "scheme",
                                                    "done_on": "20/01/2026"}).status_code == 403
    assert v.post(f"/api/v1/dossiers/{did}/advance", headers={"X-CSRF-Token": vtok},
                  json={"step": "scheme", "date": "2026-01-20"}).status_code == 403
    assert v.post(f"/api/v1/plans/{world.plan_id}/dossiers", headers={"X-CSRF-Token": vtok},
                  json={}).status_code == 403
    assert c.post(f"/api/v1/dossiers/{did}/advance", json={"step": "scheme", "date": "2026-01-20"}
                  ).status_code == 403   # no CSRF token
    o, otok = world.client("phuong.thuongthanh")   # a legacy ward: Bồ Đề (new) is not in its scope
    assert o.get(f"/dossiers/{did}").status_code == 403
    assert o.get(f"/api/v1/dossiers/{did}").status_code == 403
    assert o.get(f"/dossiers/{did}/documents/de-an.docx").status_code == 403
    assert o.post(f"/api/v1/dossiers/{did}/advance", headers={"X-CSRF-Token": otok},
                  json={"step": "scheme", "date": "2026-01-20"}).status_code == 403
    assert did not in [x["id"] for x in o.get("/api/v1/dossiers").json()]
    assert "Phường Bồ Đề" not in o.get("/dossiers").text
    assert c.get("/api/v1/dossiers/999999").status_code == 404
    with db.get_engine(world.url).connect() as conn:
        assert service.load_dossier(conn, did).steps[0].stored_status == "pending"   # nothing moved
