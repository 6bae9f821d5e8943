"""Schemathesis against the REST API's own OpenAPI schema: for every operation, requests generated from the
schema (valid and invalid), sent by a logged-in officer with the CSRF token. No answer may be a 5xx, and every
answer must be one the schema declares, with a body that matches it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tests.web.conftest import login

from tinhgon.consult import service as cs
from tinhgon.plans import service as ps
from tinhgon.registry import db, repo
from tinhgon.web.app import create_app
from tinhgon.web.cli import ensure_demo_accounts

ON = dt.date(2025, 6, 30)
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
EXAMPLES = 16  # per operation and backend: every operation, valid and invalid input, in about a minute


@pytest.fixture
def api(demo_url: str) -> Iterator[tuple[Any, dict[str, str], dict[str, list[int]]]]:
    ensure_demo_accounts(demo_url)
    # real records inside the officer's scope, so that generated requests reach the handlers too
    with db.get_engine(demo_url).begin() as conn:
        ward = repo.resolve_unit(conn, "00115", ON)
        groups = repo.children(conn, ward.id, ON)
        cid = cs.create_consultation(conn, unit_ids=[g.id for g in groups[:3]], on=ON, name="fuzz")
        plan = ps.create_plan(conn, scope_code="00115", name="fuzz", on=ON)
    known = {"unit_id": [ward.id, groups[0].id, groups[1].id], "cid": [cid], "plan_id": [_plan_id(plan)]}
    app = create_app(demo_url)
    client = TestClient(app)
    token = login(client, "quan.longbien")
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Cookie": cookies, "X-CSRF-Token": token}
    yield schema, headers, known
    client.close()
    db.dispose_all()


def _plan_id(plan: Any) -> int:
    return int(plan.id if hasattr(plan, "id") else plan["id"])


def _operations(schema: Any) -> list[Any]:
    ops = []
    for result in schema.get_all_operations():
        op = result.ok()
        # logging out would end the session every other case runs in; it is tested in tests/web
        if op.path != "/api/v1/auth/logout":
            ops.append(op)
    return ops


def test_every_api_operation_answers_within_its_schema_and_never_with_a_server_error(api: Any) -> None:
    schema, headers, known = api
    ops = _operations(schema)
    assert len(ops) >= 20, "the schema lists the API's operations"
    failures: list[str] = []
    seen: dict[str, set[int]] = {}
    for op in ops:
        # valid requests and requests that break the schema (wrong types, missing fields, extra values)
        cases = st.one_of(op.as_strategy(), op.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE))

        @given(case=cases, pick=st.integers(0, 3))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any, pick: int) -> None:
            for name, ids in known.items():  # most cases use a real id; the rest keep the generated one
                if pick and case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = ids[(pick - 1) % len(ids)]
            response = case.call(headers=headers)
            seen.setdefault(case.operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # one line per failing operation, all of them listed at the end
            failures.append(f"{op.label}: {str(exc).strip()[:1500]}")
    assert not failures, "\n\n".join(failures)
    # the run reached the handlers (not only the schema's refusals): some operations answered 200/201,
    # and the schema's refusals were exercised too
    assert sum(1 for codes in seen.values() if codes & {200, 201, 202}) >= 10, seen
    assert sum(1 for codes in seen.values() if 422 in codes) >= 5, seen
