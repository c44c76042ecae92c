"""report.html and index.html as a person sees them, in Debian's headless Chromium.

Checks what is on the screen (failures first, the compliance figure, the host that was not
reached, waiver expiry) and that the browser asked for nothing but the page itself. A
screenshot of each page is left in the test's tmp_path for a person to look at.
"""

import datetime
import json
import shutil
from pathlib import Path

import pytest
from evidence_samples import SampleRun

from landingzone.evidence import fleet_index, write_evidence

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
READING_ORDER = {"error": 0, "fail": 1, "waived": 2, "fixed": 3, "pass": 4, "not_applicable": 5}
PORTAL_REQUEST = "The portal's appointment export needs this until the vendor's 2027 release."


def chromium(profile: Path, javascript: bool = True):
    """Debian's headless Chromium through Selenium, with a profile of its own."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("needs Debian's chromium and chromium-driver (tools/debian-packages.txt)")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,1600",
    ):
        options.add_argument(flag)
    # The DevTools network events (every request made) and the console (CSP violations, failed loads).
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    # An explicit driver path keeps Selenium from looking for (and downloading) a driver of its own.
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture
def browser(tmp_path):
    driver = chromium(tmp_path / "chromium-profile")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def requested_urls(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def open_page(driver, path: Path) -> None:
    """Load the page with an empty network log, so what is logged afterwards is the page's own doing."""
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(path.as_uri())


def assert_nothing_loaded_from_outside(driver) -> None:
    urls = requested_urls(driver)
    assert urls and all(url.startswith("file://") for url in urls), urls
    console = [entry["message"] for entry in driver.get_log("browser")]
    assert console == [], console


def by_css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


@pytest.fixture
def evidence(tmp_path) -> Path:
    root = tmp_path / "evidence"
    earlier = SampleRun(
        ident="20261121T100000Z-audit", finished=datetime.datetime(2026, 11, 21, 10, tzinfo=datetime.UTC)
    )
    latest = SampleRun()
    control = latest.controls[5]["id"]
    earlier.set_status("gem-app2", control, "pass")
    latest.set_status("gem-app2", control, "fail")
    requests = {"gem-app2": [{"control": control, "role": "citizen_portal", "justification": PORTAL_REQUEST}]}
    write_evidence(root / "gemtest" / earlier.ident, earlier.run(), earlier.results())
    write_evidence(root / "gemtest" / latest.ident, dict(latest.run(), waiver_requests=requests), latest.results())
    other = SampleRun(ident="20261127T080000Z-apply", kind="apply", unreachable=())
    other_run = other.run()
    other_run["municipality"] = {"name": "othertown", "display_name": "Gemeente Andere", "nis_code": "99003"}
    write_evidence(root / "othertown" / other.ident, other_run, other.results())
    fleet_index(root)
    return root


def test_report_shows_what_a_person_needs_first(browser, evidence, tmp_path):
    run_dir = evidence / "gemtest" / "20261128T100000Z-audit"
    document = json.loads((run_dir / "results.json").read_text())
    open_page(browser, run_dir / "report.html")
    browser.save_screenshot(str(tmp_path / "report.png"))

    # The host that was not reached is at the top, in view, with the reason.
    banner = by_css(browser, "#unreachable")[0]
    assert banner.is_displayed() and banner.location["y"] < 300
    assert "gem-backup1" in banner.text and "No route to host" in banner.text

    # The compliance figure is the one of results.json, as text on the screen.
    figure = by_css(browser, "#compliance")[0]
    assert figure.is_displayed()
    assert figure.text == f"{document['summary']['overall']['compliance']:.1f} %"
    levels = [row.text for row in by_css(browser, "#levels tbody tr")]
    assert [row.split()[0] for row in levels] == ["basic", "important", "essential", "all"]

    # Failing controls come first: in the failures list, and in each host's own table.
    failing = by_css(browser, "#failures tr.result")
    expected = [r for r in document["results"] if r["status"] in ("fail", "error")]
    assert len(failing) == len(expected)
    assert {row.get_attribute("data-status") for row in failing} == {"fail", "error"}
    for host in ("gem-app1", "gem-app2", "gem-vpn1"):
        rows = by_css(browser, f"#host-{host} > table tr.result")
        ranks = [READING_ORDER[row.get_attribute("data-status")] for row in rows]
        assert ranks and ranks == sorted(ranks) and ranks[0] <= READING_ORDER["fail"]
    assert by_css(browser, "#failures")[0].location["y"] < by_css(browser, "#hosts")[0].location["y"]

    # A supplier role's waiver request is on screen beside its failing control, and is no waiver.
    (request,) = by_css(browser, "#failures tr.result .waiver-request")
    assert request.is_displayed()
    assert request.text == (
        f"waiver requested by citizen_portal: {PORTAL_REQUEST} — not in effect until approved on the card"
    )
    row = request.find_element("xpath", "./ancestor::tr[1]")
    assert row.get_attribute("data-status") == "fail" and "gem-app2" in row.text
    assert "citizen_portal" not in by_css(browser, "#waivers")[0].text

    # Waivers show their approver and expiry; the one that ends within a month stands out.
    waivers = by_css(browser, "#waivers tr.waiver")
    assert waivers
    expiring_soon = [
        w for w in waivers if "soon" in w.find_elements("css selector", "td.expires")[0].get_attribute("class")
    ]
    assert expiring_soon and "2026-12-10" in expiring_soon[0].text and "12 days left" in expiring_soon[0].text
    assert any("expired" in w.text and "2026-10-31" in w.text for w in waivers)
    assert all("Mira Claes" in w.text for w in waivers)

    assert_nothing_loaded_from_outside(browser)


def test_fleet_index_shows_each_municipality_and_its_drift(browser, evidence, tmp_path):
    open_page(browser, evidence / "index.html")
    browser.save_screenshot(str(tmp_path / "index.png"))

    rows = {row.get_attribute("data-municipality"): row for row in by_css(browser, "#municipalities tr.municipality")}
    assert set(rows) == {"gemtest", "othertown"}
    latest = json.loads((evidence / "gemtest" / "20261128T100000Z-audit" / "results.json").read_text())
    gemtest = rows["gemtest"].text
    assert f"{latest['summary']['overall']['compliance']:.1f} %" in gemtest
    assert "pass → fail" in gemtest and "gem-backup1" in gemtest
    assert "first run" in rows["othertown"].text
    link = by_css(rows["gemtest"], "a")[0]
    assert link.get_attribute("href").endswith("gemtest/20261128T100000Z-audit/report.html")
    assert by_css(browser, "svg")[0].is_displayed()

    assert_nothing_loaded_from_outside(browser)


@pytest.fixture
def browser_without_javascript(tmp_path):
    """Chromium with JavaScript switched off for every page, as some auditors' browsers are."""
    driver = chromium(tmp_path / "chromium-nojs", javascript=False)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-nojs", ignore_errors=True)


def visible_statuses(driver, host: str) -> list[str]:
    rows = by_css(driver, f"#host-{host} tr.result")
    return [row.get_attribute("data-status") for row in rows if row.is_displayed()]


def test_hosts_show_attention_first_and_filter_the_rest_without_javascript(
    browser_without_javascript, evidence, tmp_path
):
    driver = browser_without_javascript
    run_dir = evidence / "gemtest" / "20261128T100000Z-audit"
    document = json.loads((run_dir / "results.json").read_text())
    # Scripts really are off: a page that tries one gets nothing done.
    probe = tmp_path / "probe.html"
    probe.write_text("<p id=p>off</p><script>document.getElementById('p').textContent='on'</script>")
    driver.get(probe.as_uri())
    assert by_css(driver, "#p")[0].text == "off"
    driver.get(run_dir.joinpath("report.html").as_uri())

    host = "gem-app2"
    mine = [r for r in document["results"] if r["host"] == host]
    failing = sorted(r["status"] for r in mine if r["status"] in ("fail", "error"))
    # Folded: only what needs attention is on screen, and its count leaves not_applicable out.
    assert sorted(visible_statuses(driver, host)) == failing
    count = by_css(driver, f"#host-{host} .attention-count")[0].text
    assert count.startswith(f"{len(failing)} need")

    by_css(driver, f"#host-{host} details.rest > summary")[0].click()
    assert sorted(visible_statuses(driver, host)) == sorted(r["status"] for r in mine)

    by_css(driver, "label:has(#filter-status-not_applicable)")[0].click()
    shown = visible_statuses(driver, host)
    assert shown and set(shown) == {"not_applicable"}
    assert len(shown) == sum(r["status"] == "not_applicable" for r in mine)

    by_css(driver, "label:has(#filter-status-all)")[0].click()
    by_css(driver, "label:has(#filter-level-essential)")[0].click()
    rows = [r for r in by_css(driver, f"#host-{host} tr.result") if r.is_displayed()]
    assert rows and {r.get_attribute("data-level") for r in rows} == {"essential"}
    assert len(rows) == sum(r["level"] == "essential" for r in mine)

    by_css(driver, "label:has(#filter-level-all)")[0].click()
    by_css(driver, "label:has(#filter-function-DE)")[0].click()
    rows = [r for r in by_css(driver, f"#host-{host} tr.result") if r.is_displayed()]
    expected = [r for r in mine if any(ref.startswith("DE.") for ref in r["cyfun"])]
    assert expected
    assert len(rows) == len(expected) and all("DE" in r.get_attribute("data-function").split() for r in rows)
    driver.save_screenshot(str(tmp_path / "report-filtered.png"))
