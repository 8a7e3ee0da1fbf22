"""The console in a real headless Chromium, against a real `voicebot serve`, checked with the real CLI.

Needs Debian's `chromium` and `chromium-driver` (see `.ci/console-deps`). Saves screenshots of the main pages
to docs/screenshots/ (1280x800) when VOICEBOT_SCREENSHOTS is set (`make screenshots`), else to a temporary folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.conftest import ROOT
from tests.pg import free_port

pytestmark = pytest.mark.slow

NOW = "2026-11-30T09:00"
"""Monday 30 November 2026, 09:00 in Paris."""
TUESDAY = "2026-12-01"
PASSWORD = "browser test password"
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("VOICEBOT_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "voicebot-screenshots"
)
"""`make screenshots` (VOICEBOT_SCREENSHOTS=1) refreshes the committed ones; other runs keep the tree clean."""
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
VOICEBOT = str(Path(sys.executable).with_name("voicebot"))


@dataclass
class Site:
    url: str
    db: str
    browser: WebDriver

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run the real `voicebot` command on the same database and frozen clock."""
        done = subprocess.run(
            [VOICEBOT, *args, "--db", self.db, "--now", NOW],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def slots(self, day: str = TUESDAY) -> list[str]:
        """Dr Martin's free consultation times that day, as `voicebot slots` prints them."""
        found = json.loads(
            self.cli(
                "slots", "--motif", "consultation", "--practitioner", "martin", "--from", day, "--days", "1", "--json"
            )
        )
        return [slot["start"][11:16] for slot in found]

    def booked(self) -> list[dict[str, object]]:
        return json.loads(self.cli("appointments", "list", "--from", TUESDAY, "--status", "booked", "--json"))

    def open(self, path: str) -> None:
        self.browser.get(self.url + path)

    def field(self, element_id: str, value: str) -> None:
        """Fill a field (date and time inputs through their value, which does not depend on the locale)."""
        element = self.browser.find_element(By.ID, element_id)
        self.browser.execute_script("arguments[0].value = arguments[1]", element, value)

    def click(self, element_id: str) -> None:
        self.browser.find_element(By.ID, element_id).click()

    def submit(self, element_id: str) -> None:
        """Click a form's button and wait until the browser has left the page (the form's answer is loading)."""
        page = self.browser.find_element(By.TAG_NAME, "html")
        self.click(element_id)
        WebDriverWait(self.browser, 10).until(expected_conditions.staleness_of(page))

    def text(self, element_id: str) -> str:
        return self.browser.find_element(By.ID, element_id).text

    def wait_for(self, element_id: str) -> None:
        WebDriverWait(self.browser, 10).until(expected_conditions.presence_of_element_located((By.ID, element_id)))

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def _wait_until_healthy(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"voicebot serve exited: {server.stderr.read() if server.stderr else ''}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("voicebot serve did not answer /healthz within 60 s")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{folder / 'voicebot.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "VOICEBOT_SECRET_KEY": "browser-test-secret"}
    server = subprocess.Popen(
        [VOICEBOT, "serve", "--db", db, "--now", NOW, "--port", str(port), "--sip-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,800",
        "--lang=fr-FR",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    browser = None
    try:
        _wait_until_healthy(url, server)  # the empty database got the sample practice
        french = {**os.environ, "LANGUAGE": "fr", "LANG": "fr_FR.UTF-8"}  # date inputs as jj/mm/aaaa
        browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER, env=french))
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False},
        )
        yield Site(url, db, browser)
    finally:
        if browser is not None:
            browser.quit()
        server.send_signal(signal.SIGTERM)
        try:
            _, log = server.communicate(timeout=20)
        finally:
            if server.poll() is None:
                server.kill()
        # uvicorn shuts down gracefully, then exits through the signal it caught (as service managers expect)
        assert server.returncode in (0, -signal.SIGTERM), log
        assert "Finished server process" in log


def test_pages_ask_for_a_login_then_log_in(site: Site) -> None:
    site.cli("staff", "add", "claire", "--role", "admin", stdin=PASSWORD + "\n")
    booked = site.cli(
        "appointments",
        "book",
        "--practitioner",
        "martin",
        "--motif",
        "consultation",
        "--start",
        f"{TUESDAY}T10:00",
        "--first-name",
        "Jean",
        "--last-name",
        "Dupont",
        "--birth-date",
        "1980-01-02",
        "--phone",
        "+33612345678",
    )
    assert booked.strip().isdigit()
    site.open("/admin/day")
    assert "/admin/login" in site.browser.current_url
    site.screenshot("login")
    site.browser.find_element(By.ID, "username").send_keys("claire")
    site.browser.find_element(By.ID, "password").send_keys(PASSWORD)
    site.click("login")
    site.wait_for("logout")
    assert site.browser.current_url.endswith("/admin/day")
    site.open(f"/admin/day?day={TUESDAY}")
    assert "Jean Dupont" in site.text("day-list")
    site.screenshot("day")


def test_change_dr_martin_tuesday_hours_and_the_cli_offers_them(site: Site) -> None:
    before = site.slots()
    assert before[0] == "08:30" and "14:00" in before
    site.open("/admin/config/hours?practitioner=martin")
    hours = site.browser.find_element(By.ID, "hours_tue")
    hours.clear()
    hours.send_keys("10:00-12:00, 15:00-17:00")
    site.submit("save-hours")
    site.wait_for("hours-form")
    assert "Modification enregistrée" in site.browser.page_source
    site.screenshot("hours")
    after = site.slots()
    assert after and after[0] == "10:20"  # 10:00 is booked
    assert all("10:00" <= s < "12:00" or "15:00" <= s < "17:00" for s in after)
    assert "15:00" in after and "14:00" not in after


def test_overlapping_appointment_is_refused_and_nothing_saved(site: Site) -> None:
    site.open(f"/admin/appointments/new?practitioner=martin&motif=consultation&day={TUESDAY}")
    site.field("at", "10:10")
    site.field("birth_date", "1990-05-06")
    for element_id, value in (("last_name", "Curie"), ("first_name", "Marie"), ("phone", "06 00 00 00 01")):
        site.browser.find_element(By.ID, element_id).send_keys(value)
    site.click("book")
    site.wait_for("error")
    assert "Ce créneau est déjà pris" in site.text("error")
    assert [a["patient"]["last_name"] for a in site.booked()] == ["Dupont"]  # type: ignore[index]


def test_cancel_offers_the_slot_again(site: Site) -> None:
    reference = str(site.booked()[0]["reference"])
    assert "10:00" not in site.slots()
    site.open(f"/admin/day?day={TUESDAY}")
    site.click(f"cancel-{reference}")
    WebDriverWait(site.browser, 5).until(expected_conditions.alert_is_present())
    site.browser.switch_to.alert.accept()
    WebDriverWait(site.browser, 10).until(lambda b: "ok=cancelled" in b.current_url)
    assert site.booked() == []
    assert "10:00" in site.slots()


def test_screenshots_of_the_week_closures_and_audit(site: Site) -> None:
    for start, name in (("2026-12-02T09:30", "Léa"), ("2026-12-03T11:00", "Hugo"), ("2026-11-30T16:00", "Inès")):
        site.cli(
            "appointments",
            "book",
            "--practitioner",
            "martin",
            "--motif",
            "consultation",
            "--start",
            start,
            "--first-name",
            name,
            "--last-name",
            "Moreau",
            "--birth-date",
            "2015-04-01",
            "--phone",
            "+33611223344",
        )
    site.open("/admin/config/closures")
    Select(site.browser.find_element(By.ID, "who")).select_by_value("bernard")
    Select(site.browser.find_element(By.ID, "kind")).select_by_value("afternoon")
    site.field("first", "2026-12-04")
    site.browser.find_element(By.ID, "label").send_keys("formation")
    site.submit("add-closure")
    site.wait_for("closure-list")
    assert "formation" in site.text("closure-list")
    site.screenshot("closures")
    site.open("/admin/week?practitioner=martin&day=2026-11-30")
    site.wait_for("week-grid")
    assert "Moreau" in site.browser.page_source
    site.screenshot("week")
    site.open("/admin/audit")
    assert "Horaires modifiés" in site.text("audit") and "claire" in site.text("audit")
    site.screenshot("audit")
    site.open("/admin/patients?q=Moreau")
    site.screenshot("patients")


def test_log_out_and_pages_redirect_to_login(site: Site) -> None:
    site.open("/admin/day")
    site.click("logout")
    site.wait_for("login")
    for path in ("/admin/day", "/admin/week", "/admin/config/hours", "/admin/audit"):
        site.open(path)
        assert "/admin/login" in site.browser.current_url, path
