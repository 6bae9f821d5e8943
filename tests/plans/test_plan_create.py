"""Planning on the registry: `tinhgon plan create` plans each commune's groups with the pack's standard."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from tinhgon.domain.units import Level
from tinhgon.errors import BadInput
from tinhgon.plans.service import create_plan
from tinhgon.registry import db, repo
from tinhgon.registry.plans import load_plan

AT = dt.date(2025, 6, 30)
HANOI_TDP_STANDARD = 450  # Thông tư 04/2012 Art. 7.1 as amended: Hà Nội's tổ dân phố


def _check_plan(conn, plan, threshold_of) -> None:  # type: ignore[no-untyped-def]
    groups = repo.units_at(conn, plan.at, level=Level.RESIDENTIAL_GROUP,
                           unit_ids=[u for g in plan.groups for u in g.unit_ids])
    by_id = {u.id: u for u in groups}
    seen = [u for g in plan.groups for u in g.unit_ids]
    assert len(seen) == len(set(seen))
    edges = set(repo.adjacency_at(conn, plan.at, seen))
    for g in plan.groups:
        members = [by_id[u] for u in g.unit_ids]
        assert len({m.parent_id for m in members}) == 1, "a group crosses its commune"
        assert g.parent_unit_id == members[0].parent_id
        assert g.households == sum(m.households or 0 for m in members)
        # connected through the registry's adjacency
        todo, reached = [g.unit_ids[0]], {g.unit_ids[0]}
        while todo:
            a = todo.pop()
            for b in g.unit_ids:
                if b not in reached and ((min(a, b), max(a, b)) in edges):
                    reached.add(b)
                    todo.append(b)
        assert reached == set(g.unit_ids), f"group {g.label} is not connected"
        if len(members) > 1:
            assert g.households >= threshold_of(members[0]), f"merged group {g.label} is below its threshold"


def test_standard_mode_plans_every_ward_of_long_bien_with_hanois_450(demo_url: str) -> None:
    with db.get_engine().begin() as conn:
        plan = create_plan(conn, scope_code="004", name="LB", on=AT, mode="standard")
        stored = load_plan(conn, "LB")
        lb = repo.resolve_unit(conn, "004", AT)
        all_groups = [u for u in repo.descendants(conn, lb.id, AT) if u.level == Level.RESIDENTIAL_GROUP]
        _check_plan(conn, stored, lambda _u: HANOI_TDP_STANDARD)
    assert {u for g in stored.groups for u in g.unit_ids} == {u.id for u in all_groups}
    assert {g.threshold for g in stored.groups} == {HANOI_TDP_STANDARD}
    below_before = sum(1 for u in all_groups if (u.households or 0) < HANOI_TDP_STANDARD)
    assert plan.metrics["below_threshold_before"] == below_before
    assert plan.metrics["groups"] < len(all_groups)
    assert plan.metrics["p"] <= plan.metrics["upper_bound"]
    # groups already at the standard stay alone unless a small neighbour had nowhere else to go
    big_alone = sum(1 for g in stored.groups if len(g.unit_ids) == 1 and g.households >= HANOI_TDP_STANDARD)
    big_total = sum(1 for u in all_groups if (u.households or 0) >= HANOI_TDP_STANDARD)
    assert big_alone >= 0.7 * big_total


def test_must_mode_only_lifts_groups_below_half_the_standard(demo_url: str) -> None:
    with db.get_engine().begin() as conn:
        plan = create_plan(conn, scope_code="00118", name="BD", on=dt.date(2025, 8, 1), mode="must")
        _check_plan(conn, plan, lambda _u: HANOI_TDP_STANDARD // 2)
        units = repo.units_at(conn, dt.date(2025, 8, 1), unit_ids=[u for g in plan.groups for u in g.unit_ids])
    must = [u for u in units if (u.households or 0) < HANOI_TDP_STANDARD / 2]
    assert must, "the demo has groups below half the standard"
    assert {g.threshold for g in plan.groups} == {225}
    group_of = {u: g for g in plan.groups for u in g.unit_ids}
    for u in must:
        assert group_of[u.id].households >= 225 or len(group_of[u.id].unit_ids) > 1
    # far fewer mergers than in standard mode: units between 50 % and 100 % are left alone
    assert plan.metrics["mergers"] < len(must) + 1


def test_plan_name_clash_and_bad_scope_are_refused(demo_url: str) -> None:
    with db.get_engine().begin() as conn:
        create_plan(conn, scope_code="00133", name="X", on=AT, mode="standard")
    with pytest.raises(BadInput), db.get_engine().begin() as conn:
        create_plan(conn, scope_code="00133", name="X", on=AT, mode="standard")
    with pytest.raises(BadInput), db.get_engine().begin() as conn:
        create_plan(conn, scope_code="00133-01", name="Y", on=AT, mode="standard")


@pytest.mark.parametrize("args,needle", [
    (["--unit", "99999", "--name", "Z", "--at", "2025-06-30"], "99999"),
    (["--unit", "004", "--name", "Z", "--at", "2025-06-30", "--threshold", "0"], "--threshold"),
    (["--unit", "004", "--name", "Z", "--at", "2025-06-30", "--level", "maybe"], "--level"),
    (["--unit", "004", "--name", "Z", "--at", "2025-06-30", "--lock", "nope"], "--lock"),
])
def test_plan_create_bad_input_exits_2_and_stores_nothing(demo_url: str, args: list[str], needle: str) -> None:
    r = subprocess.run([sys.executable, "-m", "tinhgon.cli", "plan", "create", *args], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    with db.get_engine().connect() as conn:
        from tinhgon.registry.plans import list_plans

        assert list_plans(conn) == []


def test_plan_create_then_export_writes_formats_md_plan_csv(demo_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = [sys.executable, "-m", "tinhgon.cli", "plan"]
    r = subprocess.run([*base, "create", "--unit", "00133", "--name", "NL", "--at", "2025-06-30"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "plan.csv"
    r = subprocess.run([*base, "export", "--plan", "NL", "--output", str(out)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,group"
    assert all(line.startswith("00133-") for line in lines[1:])
