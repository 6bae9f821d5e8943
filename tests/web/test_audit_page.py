"""The web audit page and its API give what `tinhgon audit --format json` gives: one audit service
(tinhgon.audit.service.audit_unit) behind the command line, the page and the API, on both backends."""

from __future__ import annotations

import html
import json
import sys
from typing import Any

import pytest
from tests.web.conftest import OLD, DemoIds

from tinhgon.rules.vnformat import format_int


def _cli_audit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str,
               code: str) -> dict[str, Any]:
    from tinhgon import cli

    monkeypatch.setenv("TINHGON_DATABASE_URL", url)
    monkeypatch.setattr(sys, "argv", ["tinhgon", "audit", "--unit", code, "--at", OLD.isoformat(), "--format", "json"])
    with pytest.raises(SystemExit) as done:
        cli.main()
    out = capsys.readouterr().out
    assert int(done.value.code or 0) == 0, out
    return dict(json.loads(out))


@pytest.mark.parametrize("code, attr", [("00115", "thuong_thanh"), ("004", "longbien")])
def test_the_audit_page_and_api_agree_with_the_command_lines_json(
        clients, ids: DemoIds, web_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        code: str, attr: str) -> None:
    cli_json = _cli_audit(monkeypatch, capsys, web_db, code)
    client, _tok = clients["quan.longbien"]
    unit_id = getattr(ids, attr)
    api = client.get(f"/api/v1/units/{unit_id}/audit", params={"at": OLD.isoformat()})
    assert api.status_code == 200
    assert api.json() == cli_json   # the very same report, key for key
    page = html.unescape(client.get(f"/units/{unit_id}/audit", params={"at": OLD.isoformat()}).text)
    summary, budget = cli_json["summary"], cli_json["budget"]
    assert summary["groups"] > 0
    assert f'<span class="n">{format_int(summary["groups"])}</span>' in page
    for band in summary["bands"]:
        assert f'<span class="n">{format_int(band["count"])}</span><span>{band["label_vi"]}</span>' in page
    assert f'<span class="n">{format_int(len(cli_json["titles"]["vacant"]))}</span>' in page
    assert f"{format_int(budget['monthly'])} ₫" in page and f"{format_int(budget['annual'])} ₫" in page
    for c in cli_json["concurrency"]:
        assert c["sentence_vi"] in page
    for g in cli_json["groups"][:50]:
        assert g["code"] in page
