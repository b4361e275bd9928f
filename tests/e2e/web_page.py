"""The chat page of flinch serve in headless Chromium (run by tests/serve_e2e.rs).

Usage: web_page.py URL SCREENSHOT CHROMIUM CHROMEDRIVER
Sends a question, waits for the streamed answer, checks the answer and its
trace (route, program, verdicts), and saves a screenshot.
"""

import sys
import tempfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def main(url, screenshot, chromium, chromedriver):
    profile = tempfile.TemporaryDirectory(prefix="flinch-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile.name}",
        "--window-size=1100,1350",
    ]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        driver.get(url)
        wait = WebDriverWait(driver, 90)
        wait.until(lambda d: d.find_element(By.ID, "model").text != "")
        driver.find_element(By.ID, "show-trace").click()

        def ask(question, n):
            box = driver.find_element(By.ID, "input")
            box.send_keys(question)
            driver.find_element(By.ID, "send").click()
            selector = f".msg.assistant:nth-of-type({2 * n})"
            wait.until(
                lambda d: d.find_element(By.CSS_SELECTOR, selector).get_attribute("data-state")
                in ("done", "error")
            )
            return driver.find_element(By.CSS_SELECTOR, selector)

        answer = ask("What is 17 * 23?", 1)
        assert answer.get_attribute("data-state") == "done", answer.text
        content = answer.find_element(By.CSS_SELECTOR, ".content").text
        assert content == "The answer is 391.", content
        trace = answer.find_element(By.CSS_SELECTOR, ".trace")
        assert trace.is_displayed(), "the trace is shown when toggled on"
        assert trace.find_element(By.CSS_SELECTOR, ".route").text == "calculator"
        assert trace.find_element(By.CSS_SELECTOR, ".program").text == "17 * 23"
        verdicts = trace.find_element(By.CSS_SELECTOR, ".verdicts").text
        assert "self_correction: clean" in verdicts, verdicts
        stages = [td.text for td in trace.find_elements(By.CSS_SELECTOR, "td.stage")]
        assert stages == ["route", "program", "post_pass"], stages

        # A chat answer streamed from the model into the page.
        answer = ask("Say hello.", 2)
        assert answer.get_attribute("data-state") == "done", answer.text
        assert answer.find_element(By.CSS_SELECTOR, ".trace .route").text == "chat"
        driver.save_screenshot(screenshot)

        driver.find_element(By.ID, "show-trace").click()
        assert not trace.is_displayed(), "the toggle hides the trace"
        print(f"chat page in {driver.capabilities['browserVersion']}: answer and trace shown; screenshot {screenshot}")
    finally:
        driver.quit()
        profile.cleanup()


if __name__ == "__main__":
    main(*sys.argv[1:5])
