"""Screenshots of the coordination, delegation, workload and dossier pages for docs/web.md.

    .venv/bin/python docs/img/make_web_coordination_shots.py

Builds the demo in a temporary SQLite database, adds the data of article 004 (Ngọc Lâm's coordination rule),
a delegation in Gia Thụy (article 001) and the dossier of Bồ Đề's next-round plan, then photographs the pages in
Debian's Chromium (tests/web/browser.py). Writes docs/img/web-*.png."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.web.browser import chromium, live_server, login, wait_for  # noqa: E402

from tinhgon.coordination import delegation, example  # noqa: E402
from tinhgon.coordination.governance import seed_hanoi_pilot  # noqa: E402
from tinhgon.demo.builder import build_demo  # noqa: E402
from tinhgon.dossier import service as dossiers  # noqa: E402
from tinhgon.plans.service import create_plan  # noqa: E402
from tinhgon.registry import db, repo  # noqa: E402
from tinhgon.web.cli import DEMO_PASSWORD, ensure_demo_accounts  # noqa: E402

OUT = ROOT / "docs" / "img"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tinhgon-shots-") as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        with db.get_engine(url).begin() as conn:
            build_demo(conn)
        ensure_demo_accounts(url)
        with db.get_engine(url).begin() as conn:
            seed_hanoi_pilot(conn)
            example.build_article_004(conn, resign=27)
            ngoc_lam = repo.resolve_unit(conn, "00133", dt.date(2017, 2, 1)).id
            gia_thuy = repo.resolve_unit(conn, "00130", dt.date(2021, 7, 15))
            delegation.grant(conn, grantor_title="chu_tich_ubnd", grantor_unit=gia_thuy,
                             acts=["chung_thuc_ban_sao", "chung_thuc_chu_ky"], valid_from=dt.date(2021, 7, 15),
                             valid_to=dt.date(2022, 7, 15), grantee_title="tu_phap_ho_tich",
                             doc_number="15/QĐ-UBND", doc_date=dt.date(2021, 7, 10), issuer="UBND phường Gia Thụy")
            create_plan(conn, scope_code="00118", name="BoDe-2026", on=dt.date(2026, 1, 15), mode="must",
                        time_limit=3)
            (did,) = dossiers.create_dossiers(conn, "BoDe-2026", created_by="phuong.bode")
            dossiers.advance(conn, did, "scheme", on=dt.date(2026, 1, 20), by="phuong.bode")
            dossiers.advance(conn, did, "consultation", on=dt.date(2026, 2, 5), by="phuong.bode", outcome="passed")
            dossiers.advance(conn, did, "commune-council", on=dt.date(2026, 2, 12), by="phuong.bode")
        with live_server(url) as base:
            with chromium(1366, 1000) as driver:
                login(driver, base, "quan.longbien", DEMO_PASSWORD)
                for name, path, css in [
                        ("web-coordination", f"/units/{ngoc_lam}/coordination?at=2017-02-01&year=2016", ".rule"),
                        ("web-delegations", f"/units/{gia_thuy.id}/delegations?at=2022-07-01", "#delegations"),
                        ("web-workload", f"/units/{gia_thuy.id}/workload?at=2022-07-01", "#workload")]:
                    driver.get(base + path)
                    wait_for(driver, css)
                    driver.save_screenshot(str(OUT / f"{name}.png"))
            with chromium(1366, 1000) as driver:
                login(driver, base, "phuong.bode", DEMO_PASSWORD)
                driver.get(f"{base}/dossiers?at=2026-03-20")
                wait_for(driver, "#dossier-list")
                driver.save_screenshot(str(OUT / "web-dossiers.png"))
                driver.get(f"{base}/dossiers/{did}?at=2026-03-20")
                wait_for(driver, "#steps")
                driver.save_screenshot(str(OUT / "web-dossier.png"))
        db.dispose_all()
    print("docs/img/web-{coordination,delegations,workload,dossiers,dossier}.png")


if __name__ == "__main__":
    main()
