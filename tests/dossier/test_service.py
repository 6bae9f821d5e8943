"""Dossier steps from the procedure in force, deadlines, moves, stops and attachments."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tinhgon.dossier import service
from tinhgon.dossier import tables as t
from tinhgon.dossier.model import StepStatus
from tinhgon.errors import BadInput

from .conftest import World, make_plan


def _create(w: World, key: str, name: str, at: dt.date, start: dt.date | None = None) -> int:
    make_plan(w, key, name, at)
    with w.engine.begin() as conn:
        ids = service.create_dossiers(conn, name, start=start, created_by="tester")
    assert len(ids) == 1
    return ids[0]


def _advance(w: World, did: int, step: str, on: dt.date, **kw: object) -> service.Dossier:
    with w.engine.begin() as conn:
        return service.advance(conn, did, step, on=on, by="can-bo", **kw)  # type: ignore[arg-type]


def _steps(w: World, did: int, on: dt.date) -> dict[str, dict[str, object]]:
    with w.engine.connect() as conn:
        return {s["step"]: s for s in service.load_dossier(conn, did).report(on)["steps"]}


def _events(w: World) -> int:
    with w.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.dossier_event)).scalar_one())


def test_before_the_reform_a_ward_without_council_sends_to_the_district_within_10_working_days(world: World) -> None:
    did = _create(world, "ward", "PA-phuong", dt.date(2024, 12, 2))
    steps = _steps(world, did, dt.date(2024, 12, 2))
    assert list(steps) == ["scheme", "consultation", "district", "home-affairs", "province-council"]
    assert steps["district"]["working_days"] == 10
    assert steps["scheme"]["status"] == StepStatus.IN_PROGRESS.value
    _advance(world, did, "scheme", dt.date(2024, 12, 20))
    _advance(world, did, "consultation", dt.date(2025, 1, 24))       # the Friday before Tết 2025
    steps = _steps(world, did, dt.date(2025, 2, 3))
    assert steps["district"]["due"] == dt.date(2025, 2, 14)            # 27/1–1/2 off: ten days end 14/2
    assert steps["district"]["status"] == StepStatus.IN_PROGRESS.value


def test_before_the_reform_a_xa_with_council_approves_then_sends_within_5_working_days(world: World) -> None:
    did = _create(world, "xa", "PA-xa", dt.date(2024, 12, 2))
    steps = _steps(world, did, dt.date(2024, 12, 2))
    assert list(steps) == ["scheme", "consultation", "commune-council", "district", "home-affairs",
                           "province-council"]
    assert steps["district"]["working_days"] == 5
    for code, day in [("scheme", dt.date(2024, 12, 10)), ("consultation", dt.date(2025, 1, 6)),
                      ("commune-council", dt.date(2025, 1, 24))]:
        _advance(world, did, code, day)
    steps = _steps(world, did, dt.date(2025, 2, 7))
    assert steps["district"]["due"] == dt.date(2025, 2, 7)
    assert steps["district"]["status"] == StepStatus.IN_PROGRESS.value   # the due day itself is on time
    assert _steps(world, did, dt.date(2025, 2, 10))["district"]["status"] == StepStatus.OVERDUE.value
    _advance(world, did, "district", dt.date(2025, 2, 6))
    steps = _steps(world, did, dt.date(2025, 2, 6))
    assert steps["home-affairs"]["due"] == dt.date(2025, 2, 20)       # 10 working days after 6/2/2025


def test_after_the_reform_there_is_no_district_step_and_home_affairs_has_10_working_days(world: World) -> None:
    did = _create(world, "new", "PA-moi", dt.date(2026, 1, 15))
    steps = _steps(world, did, dt.date(2026, 1, 15))
    assert "district" not in steps
    assert list(steps) == ["scheme", "consultation", "commune-council", "home-affairs", "province-council"]
    for code, day in [("scheme", dt.date(2026, 1, 20)), ("consultation", dt.date(2026, 2, 5)),
                      ("commune-council", dt.date(2026, 2, 13))]:            # Friday before Tết 2026
        _advance(world, did, code, day)
    steps = _steps(world, did, dt.date(2026, 3, 6))
    assert steps["home-affairs"]["due"] == dt.date(2026, 3, 6)
    assert steps["home-affairs"]["status"] == StepStatus.IN_PROGRESS.value
    report = _steps(world, did, dt.date(2026, 3, 9))
    assert report["home-affairs"]["status"] == StepStatus.OVERDUE.value
    assert report["home-affairs"]["late_working_days"] == 1
    assert report["province-council"]["status"] == StepStatus.PENDING.value


def test_a_step_cannot_be_skipped_nor_done_twice_and_nothing_is_written(world: World) -> None:
    did = _create(world, "new", "PA-bo-buoc", dt.date(2026, 1, 15))
    before = _events(world)
    with pytest.raises(BadInput, match="không bỏ qua bước"):
        _advance(world, did, "consultation", dt.date(2026, 1, 20))
    assert _events(world) == before
    _advance(world, did, "scheme", dt.date(2026, 1, 20))
    after = _events(world)
    with pytest.raises(BadInput, match="không ghi lại lần hai"):
        _advance(world, did, "scheme", dt.date(2026, 1, 21))
    with pytest.raises(BadInput, match="trước ngày bắt đầu"):
        _advance(world, did, "consultation", dt.date(2026, 1, 19))
    with pytest.raises(BadInput, match="không có bước"):
        _advance(world, did, "district", dt.date(2026, 1, 21))
    assert _events(world) == after
    steps = _steps(world, did, dt.date(2026, 1, 22))
    assert steps["scheme"]["done_by"] == "can-bo" and steps["scheme"]["done_on"] == dt.date(2026, 1, 20)


def test_a_consultation_failed_twice_stops_the_dossier_as_the_rule_allows_two_rounds(world: World) -> None:
    did = _create(world, "new", "PA-dung", dt.date(2026, 1, 15))
    with world.engine.connect() as conn:
        assert service.load_dossier(conn, did).consultation_max_rounds == 2   # TT 05/2022: once more, then stop
    _advance(world, did, "scheme", dt.date(2026, 1, 20))
    d = _advance(world, did, "consultation", dt.date(2026, 2, 5), outcome="failed")
    assert d.status.value == "open"
    assert _steps(world, did, dt.date(2026, 2, 5))["consultation"]["failed_attempts"] == 1
    d = _advance(world, did, "consultation", dt.date(2026, 3, 5), outcome="failed")
    assert d.status.value == "stopped"
    steps = _steps(world, did, dt.date(2026, 3, 10))
    assert {k: v["status"] for k, v in steps.items()} == {
        "scheme": "done", "consultation": "stopped", "commune-council": "stopped", "home-affairs": "stopped",
        "province-council": "stopped"}
    with pytest.raises(BadInput, match="đã dừng"):
        _advance(world, did, "consultation", dt.date(2026, 3, 6))


def test_a_failed_outcome_is_refused_outside_the_consultation_step(world: World) -> None:
    did = _create(world, "new", "PA-kq", dt.date(2026, 1, 15))
    with pytest.raises(BadInput, match="chỉ bước lấy ý kiến"):
        _advance(world, did, "scheme", dt.date(2026, 1, 20), outcome="failed")


def test_a_dossier_running_across_1_july_2025_loses_its_district_step(world: World) -> None:
    did = _create(world, "xa", "PA-chuyen", dt.date(2025, 6, 2))
    assert "district" in _steps(world, did, dt.date(2025, 6, 2))
    _advance(world, did, "scheme", dt.date(2025, 6, 10))
    _advance(world, did, "consultation", dt.date(2025, 6, 27))
    d = _advance(world, did, "commune-council", dt.date(2025, 7, 4))
    assert [s.code for s in d.steps] == ["scheme", "consultation", "commune-council", "home-affairs",
                                         "province-council"]
    assert d.procedure_rule_id == "lcq2025.procedure.group"
    assert any(e["action"] == "resynced" and "district" in (e["note"] or "") for e in d.events)
    steps = _steps(world, did, dt.date(2025, 7, 4))
    assert steps["home-affairs"]["due"] == dt.date(2025, 7, 18)


def test_an_attached_file_is_stored_with_its_hash_and_a_missing_one_is_refused(world: World, tmp_path: Path) -> None:
    did = _create(world, "new", "PA-tep", dt.date(2026, 1, 15))
    paper = tmp_path / "bien-ban.pdf"
    paper.write_bytes(b"%PDF-1.4 bien ban")
    with pytest.raises(BadInput, match="không có tệp"):
        _advance(world, did, "scheme", dt.date(2026, 1, 20), attach=[tmp_path / "khong-co.pdf"])
    d = _advance(world, did, "scheme", dt.date(2026, 1, 20), attach=[paper])
    docs = [x for x in d.documents if x["step"] == "scheme"]
    assert len(docs) == 1
    assert docs[0]["sha256"] == hashlib.sha256(paper.read_bytes()).hexdigest()
    assert docs[0]["origin"] == "uploaded" and docs[0]["path"] == str(paper.resolve())


def test_a_plan_without_merger_or_a_second_dossier_is_refused(world: World) -> None:
    _create(world, "new", "PA-hai", dt.date(2026, 1, 15))
    with world.engine.begin() as conn, pytest.raises(BadInput, match="đã có hồ sơ"):
        service.create_dossiers(conn, "PA-hai")
    with world.engine.begin() as conn, pytest.raises(BadInput, match="không có phương án"):
        service.create_dossiers(conn, "khong-co")
