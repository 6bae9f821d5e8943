"""The cycle in a real Chromium: log in, dashboard with its map, search, run the planner, move a unit and
undo, then the steps that need colleagues' modules (consultation, merger, reports), each skipped with its
reason only while that module is missing. Without Chromium the tests skip; with TINHGON_REQUIRE_BROWSER=1
(CI) they fail instead. Screenshots go to docs/img/ when TINHGON_SCREENSHOTS=1."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import FLAVOURS, Templates
from tests.web.browser import REQUIRE, browser_problem, chromium, live_server, login, map_drawn, wait_for, wait_text

from tinhgon.registry import db
from tinhgon.web.cli import DEMO_PASSWORD, ensure_demo_accounts

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"


def _need_browser() -> None:
    problem = browser_problem()
    if problem:
        if REQUIRE:
            pytest.fail(f"a browser is required here (TINHGON_REQUIRE_BROWSER=1): {problem}")
        pytest.skip(f"browser tests skipped: {problem}")


def _module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


DB: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(templates: Templates) -> Iterator[str]:
    _need_browser()
    url = templates.copy("sqlite", "demo", FLAVOURS["demo"])
    DB["url"] = url
    DB["downloads"] = str(Path(tempfile.mkdtemp(prefix="tinhgon-downloads-")))
    ensure_demo_accounts(url)
    try:
        with live_server(url) as base:
            yield base
    finally:
        db.dispose_all()


@pytest.fixture(scope="module")
def driver(server: str) -> Iterator[Any]:
    with chromium() as d:
        login(d, server, "quan.longbien", DEMO_PASSWORD)
        yield d


def shot(driver: Any, name: str) -> None:
    if os.environ.get("TINHGON_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / f"{name}.png"))


def test_login_lands_on_the_dashboard_with_figures_chart_and_map(driver: Any, server: str) -> None:
    driver.get(f"{server}/?at=2025-06-30")
    wait_for(driver, "section.figures")
    assert "Quận Long Biên" in driver.find_element("css selector", "h1").text
    assert driver.find_elements("css selector", "svg.chart rect")
    assert map_drawn(driver) >= 300  # every residential group of the district has its cell
    assert "Tổng quan" in driver.page_source  # Vietnamese by default
    shot(driver, "dashboard")


def test_search_without_accents_finds_the_ward(driver: Any, server: str) -> None:
    driver.get(f"{server}/search?at=2025-06-30")
    box = wait_for(driver, "#q")
    box.send_keys("thuong thanh")
    wait_text(driver, "#results", "Phường Thượng Thanh")
    shot(driver, "search")


def test_unit_detail_shows_versions_and_lineage(driver: Any, server: str) -> None:
    driver.get(f"{server}/search?q=Thượng+Thanh&at=2025-06-30")
    wait_for(driver, "#results a").click()
    wait_for(driver, "section.figures")
    driver.find_element("link text", "Chi tiết và lịch sử").click()
    wait_text(driver, "main", "Đã nhập vào")
    assert "Phường Bồ Đề" in driver.page_source or "Phường Việt Hưng" in driver.page_source
    shot(driver, "unit")


def test_registry_tree_opens_on_demand_and_audit_shows_the_standard(driver: Any, server: str) -> None:
    driver.get(f"{server}/tree?at=2025-06-30")
    summary = wait_for(driver, "ul.tree details summary")
    summary.click()
    wait_text(driver, "ul.tree .kids", "Phường")  # the children arrive by HTMX
    shot(driver, "tree")
    driver.get(f"{server}/search?q=Thượng+Thanh&at=2025-06-30")
    wait_for(driver, "#results a").click()
    wait_for(driver, "section.figures")
    driver.find_element("link text", "Rà soát").click()
    wait_text(driver, "main", "Căn cứ pháp lý")
    shot(driver, "audit")


@pytest.mark.skipif(not _module("tinhgon.planner"), reason="the planner (tinhgon.planner) is not installed yet")
def test_run_the_planner_then_move_a_unit_and_undo(driver: Any, server: str) -> None:
    from selenium.webdriver.support.ui import Select

    driver.get(f"{server}/plans?at=2025-06-30")
    Select(wait_for(driver, "#plan-unit")).select_by_visible_text("Phường Thượng Thanh (00115)")
    driver.find_element("css selector", "#run-planner").click()
    wait_for(driver, "progress")
    shot(driver, "plan-job")
    wait_for(driver, "#open-plan", timeout=90).click()
    wait_for(driver, "#validity")
    assert map_drawn(driver) > 10
    shot(driver, "plan")
    groups_before = driver.find_element("css selector", "#fig-groups").text
    # a unit that shares its group: moving it to a new group adds a group
    rows = [(r.get_attribute("data-unit"), r.find_element("css selector", "td").text.strip())
            for r in driver.find_elements("css selector", "#ws-table tbody tr")]
    labels = [lab for _u, lab in rows]
    unit = next(u for u, lab in rows if labels.count(lab) > 1)
    Select(driver.find_element("css selector", "#move-unit")).select_by_value(unit)
    Select(driver.find_element("css selector", "#move-target")).select_by_value("new")
    driver.find_element("css selector", "#move-btn").click()
    wait_for(driver, "#undo-btn:not([disabled])")
    assert driver.find_element("css selector", "#fig-groups").text != groups_before  # live figures
    shot(driver, "plan-moved")
    driver.find_element("css selector", "#undo-btn").click()
    wait_for(driver, "#redo-btn:not([disabled])")
    assert driver.find_element("css selector", "#fig-groups").text == groups_before


def test_phone_sized_window_shows_the_menu_button(server: str) -> None:
    with chromium(390, 844, phone=True) as phone:
        login(phone, server, "phuong.thuongthanh", DEMO_PASSWORD)
        phone.get(f"{server}/?at=2025-06-30")
        wait_for(phone, "section.figures")
        toggle = phone.find_element("css selector", ".menu-toggle")
        assert toggle.is_displayed()
        width = phone.execute_script("return document.documentElement.scrollWidth")
        assert width <= 400  # no sideways scrolling of the page itself
        shot(phone, "phone-dashboard")


@pytest.mark.skipif(not _module("tinhgon.consult.service"),
                    reason="ballot entry waits for the consultation service (tinhgon.consult.service)")
@pytest.mark.skipif(not _module("tinhgon.planner"), reason="a consultation is opened from a plan (tinhgon.planner)")
def test_open_a_consultation_from_the_plan_and_enter_ballots(driver: Any, server: str) -> None:
    import datetime as dt

    from sqlalchemy import text

    from tinhgon.plans.service import create_plan
    from tinhgon.registry import plans as plan_store

    # a plan of its own: the test must not depend on the planner test having run before it on the same
    # pytest-xdist worker
    with db.get_engine(DB["url"]).begin() as conn:
        if not plan_store.plan_exists(conn, "browser-consult"):
            create_plan(conn, scope_code="00115", name="browser-consult", on=dt.date(2025, 6, 30), time_limit=5)
        pid = plan_store.load_plan(conn, "browser-consult").id
    driver.get(f"{server}/plans?at=2025-06-30")
    wait_for(driver, f'#plan-list a[href="/plans/{pid}"]').click()
    wait_for(driver, "#consult-btn").click()
    wait_for(driver, "#ballot-form")
    cid = int(driver.current_url.rstrip("/").rsplit("/", 1)[1])
    with db.get_engine(DB["url"]).connect() as conn:
        unit_id, code = conn.execute(text(
            "SELECT unit_id, voter_code FROM roll_entry WHERE consultation_id = :c ORDER BY id LIMIT 1"),
            {"c": cid}).one()
    driver.find_element("css selector", "#household").send_keys(code)
    driver.find_element("css selector", "#cast-btn").click()
    wait_text(driver, "#ballot-message", "Đã ghi phiếu")
    wait_text(driver, f'#tally tr[data-unit="{unit_id}"] td.agree', "1")  # the live tally follows
    shot(driver, "consult")


@pytest.mark.skipif(not _module("tinhgon.execute.service"),
                    reason="carrying out a merger waits for the merger service (tinhgon.execute.service)")
@pytest.mark.skipif(not _module("tinhgon.planner"), reason="a merger carries out a plan (tinhgon.planner)")
def test_carry_out_the_merger_after_a_preview_and_a_confirmation(driver: Any, server: str) -> None:
    from selenium.webdriver.support.ui import Select

    driver.get(f"{server}/plans?at=2026-01-01")
    Select(wait_for(driver, "#plan-unit")).select_by_visible_text("Phường Bồ Đề (00118)")
    driver.find_element("css selector", "#run-planner").click()
    wait_for(driver, "#open-plan", timeout=120).click()
    wait_for(driver, "#execute-link").click()
    wait_for(driver, "#effective").send_keys("01/02/2026")
    driver.find_element("css selector", "#decision").send_keys("12/NQ-HĐND")
    driver.find_element("css selector", "#preview-btn").click()
    wait_for(driver, "#preview", timeout=60)
    shot(driver, "execute-preview")
    driver.find_element("css selector", "#confirm").click()
    driver.find_element("css selector", "#execute-btn").click()
    wait_for(driver, "#execute-done", timeout=60)
    assert "Đã thực hiện" in driver.find_element("css selector", "#execute-done").text


@pytest.mark.skipif(not _module("tinhgon.reports.review"),
                    reason="report downloads wait for the reports module (tinhgon.reports.review)")
def test_download_the_review_report(driver: Any, server: str) -> None:
    import glob
    import time

    from selenium.webdriver.support.ui import Select

    profile = driver.capabilities.get("chrome", {}).get("userDataDir", "")
    downloads = DB.get("downloads") or profile
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    driver.get(f"{server}/reports?at=2025-06-30")
    Select(wait_for(driver, "#report-unit")).select_by_index(0)
    shot(driver, "reports")
    driver.find_element("css selector", "#report-btn").click()
    deadline = time.monotonic() + 60
    files: list[str] = []
    while time.monotonic() < deadline:
        files = [f for f in glob.glob(f"{downloads}/*.docx")]
        if files:
            break
        time.sleep(0.25)
    assert files, "the report was not downloaded"
    with open(files[0], "rb") as fh:
        assert fh.read(2) == b"PK"  # a DOCX is a zip
