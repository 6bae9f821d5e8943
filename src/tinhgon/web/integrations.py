"""Which colleagues' domains are installed: their pages are enabled only when their service exists.

Each entry names the module the web layer calls; until it lands the navigation entry stays disabled with
a note (never a page with invented data).
"""

from __future__ import annotations

import importlib.util

# key -> (module whose presence enables the page, what the page needs from it)
POINTS: dict[str, tuple[str, str]] = {
    "audit": ("tinhgon.rules.audit", "audit_units(...) -> AuditReport"),
    "planner": ("tinhgon.planner", "MaxPLocalSearch().solve(problem), check_labels(problem, labels)"),
    "staffing": ("tinhgon.staffing.service", "propose(conn, plan_name), report_by_plan_id, render.to_dict/to_xlsx"),
    "consult": ("tinhgon.consult.service", "create_from_plan, cast_ballot, tally"),
    "execute": ("tinhgon.execute.service", "approve(conn, plan_name), apply_plan(conn, plan_name, effective, basis)"),
    "reports": ("tinhgon.reports.review", "build_review(...) and render_review.review_docx(...)"),
}


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def available() -> dict[str, bool]:
    return {key: _present(mod) for key, (mod, _what) in POINTS.items()}
