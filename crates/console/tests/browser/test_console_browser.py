"""The console in a real browser (Debian's headless Chromium, driven by selenium): a running
release advances to Done on the overview, its page shows the timeline and the Region table,
an operator cancels a second release and retries a failed one, and a hostile product title
renders as text. Screenshots are kept in the artefacts directory (conftest.artefacts_dir).
"""

import tempfile

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service as DriverService
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import (EVIL_TITLE, OPERATOR_TOKEN, RELEASE_WITHIN, SLOW_SCALE, TIME_SCALE,
                      artefacts_dir, wait_until)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="amipub-chromium-")
    # No network but loopback here: Chromium's own background traffic is switched off.
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
                "--window-size=1400,1100"]:
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=DriverService(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


# A page may be replaced under the test by its own refresh: such errors mean "look again".
RELOADING = (StaleElementReferenceException, WebDriverException)


def waiting(driver, seconds):
    return WebDriverWait(driver, seconds, ignored_exceptions=[StaleElementReferenceException])


def shot(driver, name):
    driver.save_screenshot(str(artefacts_dir() / f"{name}.png"))


def no_dialog(driver):
    """No script of the page ran: a dialog would be open now."""
    try:
        WebDriverWait(driver, 1).until(EC.alert_is_present())
    except TimeoutException:
        pass
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return
    raise AssertionError(f"a script ran and opened a dialog: {text!r}")


def cell_texts(driver, table_id):
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tr")
    return [r.text for r in rows]


def state_on_page(driver):
    return driver.find_element(By.ID, "state").text


def wait_for_state(driver, service, release, states, timeout):
    """Reloads the release's page until its state is one of `states`."""
    def check():
        driver.get(f"{service.url}/releases/{release}")
        return state_on_page(driver) in states
    wait_until(check, timeout, f"{release} in {states}\n{service.serve_log.text()}", RELOADING)


def sign_in(driver, service, token):
    driver.get(f"{service.url}/sign-in")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "sign-in").click()
    waiting(driver, 30).until(EC.presence_of_element_located((By.ID, "notice")))


def test_the_console_in_a_browser(service, browser):
    # 1. A release runs (slowly, so the page is sure to see it running): the overview lists it
    # as running, then, at full speed again, as done.
    service.admin("POST", "/_sandbox/config", {"time_scale": SLOW_SCALE})
    first = service.publish("41.1")
    browser.get(service.url + "/")

    def running_on_overview():
        browser.get(service.url + "/")
        return any(first in row for row in cell_texts(browser, "running"))
    wait_until(running_on_overview, 60, f"{first} running\n{service.serve_log.text()}", RELOADING)
    shot(browser, "01-overview-running")
    service.admin("POST", "/_sandbox/config", {"time_scale": TIME_SCALE})

    def done_on_overview():
        browser.get(service.url + "/")
        recent = [r for r in cell_texts(browser, "recent") if first in r]
        return recent and " done " in f" {recent[0]} "
    wait_until(done_on_overview, RELEASE_WITHIN, f"{first} done\n{service.serve_log.text()}", RELOADING)
    shot(browser, "02-overview-done")
    no_dialog(browser)

    # 2. Its page: the timeline with durations and a row per Region with its Marketplace AMI.
    browser.get(f"{service.url}/releases/{first}")
    timeline = cell_texts(browser, "timeline")
    assert len(timeline) > 5 and any("done" in r for r in timeline), timeline
    regions = cell_texts(browser, "regions")[1:]
    assert len(regions) >= 2 and all("ami-" in r for r in regions), regions
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#regions a")]
    assert any("console.aws.amazon.com/ec2" in h for h in links), links
    parameters = browser.find_element(By.ID, "parameters").text
    assert "/fedora/cloud/41/x86_64/41.1" in parameters and "latest" in parameters, parameters
    assert all("written" in r and "yes" in r for r in regions), regions
    shot(browser, "03-release")

    # 3. A release fails its scan.
    service.admin("POST", "/_sandbox/scan", {"verdict": "fail"})
    failed = service.publish("41.2")
    wait_for_state(browser, service, failed, {"failed"}, RELEASE_WITHIN)
    assert "Remedy" in browser.find_element(By.ID, "failure").text
    shot(browser, "04-release-failed")
    # Anonymous readers on loopback see no buttons.
    assert not browser.find_elements(By.ID, "retry")

    # 4. As operator: cancel a running release (slowed down so it is still running).
    service.admin("POST", "/_sandbox/scan", {"verdict": "pass"})
    service.admin("POST", "/_sandbox/config", {"time_scale": SLOW_SCALE})
    running = service.publish("41.3")
    sign_in(browser, service, OPERATOR_TOKEN)
    wait_for_state(browser, service, running, {"received", "admitted", "mirroring", "mirrored", "granted", "submitting", "scanning"}, 60)
    browser.find_element(By.ID, "cancel").click()
    waiting(browser, 60).until(EC.presence_of_element_located((By.ID, "notice")))
    assert state_on_page(browser) == "cancelled", browser.find_element(By.TAG_NAME, "main").text
    assert any("by alice" in r for r in cell_texts(browser, "timeline")), cell_texts(browser, "timeline")
    shot(browser, "05-release-cancelled")

    # 5. As operator: retry the failed one; it goes on to Done.
    service.admin("POST", "/_sandbox/config", {"time_scale": TIME_SCALE})
    browser.get(f"{service.url}/releases/{failed}")
    browser.find_element(By.ID, "retry").click()
    waiting(browser, 60).until(EC.presence_of_element_located((By.ID, "notice")))
    assert any("retry_requested" in r and "by alice" in r for r in cell_texts(browser, "timeline"))
    wait_for_state(browser, service, failed, {"done"}, RELEASE_WITHIN)
    shot(browser, "06-release-retried-done")

    # 6. The hostile title is text: no dialog, no element made of it.
    browser.get(service.url + "/products")
    no_dialog(browser)
    section = browser.find_element(By.CSS_SELECTOR, "section.product")
    assert EVIL_TITLE in section.text, section.text
    assert not section.find_elements(By.CSS_SELECTOR, "script, img")
    shot(browser, "07-products")

    # 7. The overview with the chart of where the time went.
    browser.get(service.url + "/")
    assert browser.find_elements(By.CSS_SELECTOR, "figure.chart svg rect")
    no_dialog(browser)
    shot(browser, "08-overview-chart")
