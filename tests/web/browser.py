"""A real Chromium (Debian's chromium + chromium-driver) driven by Selenium against a uvicorn server on a
free loopback port. Used by the browser tests and by docs/screenshots.py."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

REQUIRE = os.environ.get("TINHGON_REQUIRE_BROWSER") == "1"
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--lang=vi-VN"]


def browser_problem() -> str | None:
    """None when a browser can run, else why not."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "chromium is not installed (scripts/install-debian-deps.sh installs chromium)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (scripts/install-debian-deps.sh installs chromium-driver)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(database_url: str) -> Iterator[str]:
    """Serve create_app(database_url) with uvicorn in a thread; yields the base URL."""
    import uvicorn

    from tinhgon.web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(database_url), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium(width: int = 1366, height: int = 900, *, phone: bool = False) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="tinhgon-chromium-")
    opts = webdriver.ChromeOptions()
    for flag in FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    if phone:  # a desktop window cannot be narrower than ~500 px: emulate the phone's viewport instead
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": width, "height": height,
                                                                            "pixelRatio": 2.0}})
    else:
        opts.add_argument(f"--window-size={width},{height}")
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    prefs = {"download.default_directory": profile, "download.prompt_for_download": False}
    opts.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=opts)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def login(driver: Any, base: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)  # the session cookie is set


def wait_for(driver: Any, css: str, timeout: float = 30.0) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def wait_text(driver: Any, css: str, text: str, timeout: float = 30.0) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def map_drawn(driver: Any, timeout: float = 30.0) -> int:
    """Wait until Leaflet has drawn the cells; returns how many paths it drew."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.querySelectorAll('.map path.leaflet-interactive').length") > 0)
    return int(driver.execute_script("return document.querySelectorAll('.map path.leaflet-interactive').length"))
