#!/usr/bin/env python3
"""The note pages' script (app.js) in a real browser: headless Chromium driven
by selenium, against `field app` over a laptop signed in to a fresh
sync-server.

* a new note becomes a draft at its first change, and the address the draft's;
* a plain save is not announced to screen readers, a refusal is;
* two tabs on one draft: the second save over the first is refused (409) and
  the button shows both values; pressing it again saves the caseworker's text;
* Lås in one tab, "Gem kladde" in the other: the form is held, and saved after
  the passphrase;
* the note form's problems: a summary that has the focus;
* the refused save's page is unsaved until its button is pressed, and so is
  a tab whose save met the locked app: leaving either asks first;
* one failed request is not a stopped app: the tab says "not saved" and
  saves at the next change;
* the app stops: the tab stops saving and says the text is only there;
* axe-core (axe-selenium-python; missing is a failure) finds nothing serious
  or critical on the new note, the refused save, the passphrase page and the
  draft with problems.

A screenshot of a failure lands in the artifacts directory.

    python3 Tests/Browser/note_journey.py --bin-dir .build/debug --artifacts .build/artifacts/notes

Exits 0 when everything behaved, 1 with a message saying what did not.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "en lang adgangskode"
PASSPHRASE = "laptop passphrase of anna"


class Failed(Exception):
    """A check that did not hold: the message says what was expected."""


def check(condition, message):
    if not condition:
        raise Failed(message)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def axe_source():
    try:
        import axe_selenium_python
    except ImportError:
        return None
    path = Path(axe_selenium_python.__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
    return path.read_text() if path.exists() else None


class Journey:
    def __init__(self, bin_dir: Path, artifacts: Path, keep: bool):
        self.bin_dir = bin_dir
        self.artifacts = artifacts
        self.keep = keep
        self.work = Path(tempfile.mkdtemp(prefix="casework-notes."))
        self.server = self.app = self.driver = None
        self.axe = axe_source()
        check(self.axe is not None, "axe-core is missing: install axe-selenium-python (scripts/ensure-browser-dependencies)")

    def field(self, *arguments, input=""):
        environment = dict(os.environ, FIELD_PASSPHRASE=PASSPHRASE, XDG_RUNTIME_DIR="")
        run = subprocess.run([self.bin_dir / "field", *arguments, "--home", self.work / "laptop"], input=input, text=True,
                             capture_output=True, env=environment)
        check(run.returncode == 0, f"field {' '.join(map(str, arguments))} exited with {run.returncode}: {run.stderr.strip()}")
        return run.stdout

    def start(self):
        server_bin = self.bin_dir / "sync-server"
        subprocess.run([server_bin, "user", "add", "anna", "--role", "caseworker", "--password-stdin", "--bcrypt-cost", "4",
                        "--data-dir", self.work / "server"], input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        port = free_port()
        self.server = subprocess.Popen([server_bin, "serve", "--data-dir", self.work / "server", "--port", str(port),
                                        "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                    break
            except OSError:
                check(time.monotonic() < deadline, "sync-server did not answer within 10 seconds")
                time.sleep(0.1)
        self.field("login", "--server", f"http://127.0.0.1:{port}", "--user", "anna", "--password-stdin", input=PASSWORD + "\n")
        self.case = json.loads(self.field("case", "new", "Familien Berg", "--citizen", "0202-BERG", "--json"))["case"]
        environment = dict(os.environ, FIELD_PASSPHRASE=PASSPHRASE, XDG_RUNTIME_DIR="")
        self.app = subprocess.Popen([self.bin_dir / "field", "app", "--no-browser", "--home", self.work / "laptop"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=environment)
        address = re.search(r"(http://\S+)", self.app.stdout.readline())
        check(address is not None, "field app printed no address")
        self.address = address.group(1)
        self.base = self.address.split("/open")[0]
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,720", "--lang=da-DK",
                         "--disable-gpu"):
            options.add_argument(argument)
        options.add_experimental_option("prefs", {"intl.accept_languages": "da"})
        self.driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)

    # --- helpers -------------------------------------------------------------------

    def wait(self, condition, message, seconds=20):
        try:
            WebDriverWait(self.driver, seconds).until(lambda _: condition())
        except TimeoutException:
            raise Failed(message)

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text

    def body(self):
        return self.driver.find_element(By.ID, "note-body")

    def save_button(self):
        return self.driver.find_element(By.CSS_SELECTOR, "form.note button[type=submit]:not([name])")

    def leaving_asks(self):
        """Whether the page asks before it is left (its beforeunload handler cancels)."""
        return self.driver.execute_script(
            "var event = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(event); return event.defaultPrevented;")

    def navigate(self, action):
        old = self.driver.find_element(By.TAG_NAME, "html")
        action()
        self.wait(lambda: self.driver.find_element(By.TAG_NAME, "html") != old
                  and self.driver.execute_script("return document.readyState") == "complete", "the next page did not load")

    def check_axe(self, name):
        self.driver.execute_script(self.axe)
        found = self.driver.execute_async_script(
            "var done = arguments[0]; axe.run().then(function (r) { done(r.violations.map(function (v) { return [v.id, v.impact]; })); });")
        serious = [v for v in found if v[1] in ("serious", "critical")]
        check(not serious, f"axe-core finds serious or critical violations on {name}: {serious}")

    # --- the journey -----------------------------------------------------------------

    def run(self):
        self.start()
        driver = self.driver
        driver.get(self.address)
        driver.get(f"{self.base}/cases/{self.case}/notes/new")
        self.check_axe("the new note")
        self.body().send_keys("De første linjer.")
        self.wait(lambda: re.search(r"/notes/[0-9a-f]+$", driver.current_url), "the new note did not become a draft")
        self.wait(lambda: self.text("save-status").startswith("Gemt kl."), "the new note's first save is not shown")
        check(self.text("save-announce") == "", "a plain save was announced")
        draft = driver.current_url
        driver.refresh()
        check("De første linjer." in self.body().get_attribute("value"), "the draft does not hold the first lines")

        first = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(draft)
        second = driver.current_window_handle
        self.body().send_keys(" Fra fane B.")
        self.wait(lambda: self.text("save-status").startswith("Gemt kl."), "the second tab's save is not shown")
        driver.switch_to.window(first)
        self.body().send_keys(" Fra fane A.")
        self.wait(lambda: "ændret et andet sted" in self.text("save-status"), "the first tab's save over the second's was not refused")
        check("ændret et andet sted" in self.text("save-announce"), "the refusal was not announced")
        self.navigate(lambda: self.save_button().click())
        check("Fra fane B." in driver.page_source and "Fra fane A." in self.body().get_attribute("value"),
              "the refused save does not show both values")
        self.check_axe("the refused save")
        check(self.leaving_asks(), "the refused save's page does not ask before it is left")
        self.navigate(lambda: self.save_button().click())
        check("saved=1" in driver.current_url and "Fra fane A." in self.body().get_attribute("value"),
              "saving again from the refused save did not save the caseworker's text")

        driver.switch_to.window(second)
        driver.get(draft)
        self.navigate(lambda: driver.find_element(By.CSS_SELECTOR, "form.lock button").click())
        check(driver.current_url.endswith("/unlock"), "Lås did not lead to the passphrase page")
        driver.switch_to.window(first)
        check(not self.leaving_asks(), "a saved draft asks before it is left")
        self.body().send_keys(" Efter låsning.")
        self.wait(lambda: "Appen er låst" in self.text("save-status"), "the save into the locked app is not shown")
        check("Gem kladde" in self.text("save-status"), "the locked message does not say to press Gem kladde")
        check(self.leaving_asks(), "a tab whose save met the locked app does not ask before it is left")
        self.navigate(lambda: self.save_button().click())
        check("/unlock?held=" in driver.current_url, "Gem kladde while locked did not hold the form")
        self.check_axe("the passphrase page")
        self.navigate(lambda: driver.find_element(By.ID, "passphrase").send_keys(PASSPHRASE + Keys.ENTER))
        check("Efter låsning." in self.body().get_attribute("value"), "the held form was not saved after the passphrase")

        driver.get(draft + "?saved=1&problem=noteDateInvalid,noteParticipantInvalid")
        check(driver.switch_to.active_element.get_attribute("id") == "error-summary", "the problems' summary does not have the focus")
        self.check_axe("the draft with problems")

        # One request that fails (a moment's trouble) while the app still runs.
        driver.get(draft)
        driver.execute_script("""
            var real = window.fetch, failed = false;
            window.fetch = function (address, options) {
                if (!failed && options && options.method === "POST") { failed = true; return Promise.reject(new TypeError("once")); }
                return real.apply(this, arguments);
            };""")
        self.body().send_keys(" En gang uden svar.")
        self.wait(lambda: "ikke gemt" in self.text("save-status").lower(), "the failed request is not shown")
        check("Appen er lukket" not in self.text("save-status"), "one failed request was taken for a stopped app")
        self.body().send_keys(" Og så igen.")
        self.wait(lambda: self.text("save-status").startswith("Gemt kl."), "the tab did not save again after one failed request")

        self.app.terminate()
        self.app.wait(10)
        self.body().send_keys(" Skrevet efter stop.")
        self.wait(lambda: "Appen er lukket" in self.text("save-status"), "the tab did not say that the app stopped")
        check("Appen er lukket" in self.text("save-announce"), "the stop was not announced")
        return 0

    def save_failure(self):
        if self.driver is None:
            return
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(self.artifacts / "failure.png"))
        (self.artifacts / "failure.html").write_text(self.driver.page_source, encoding="utf-8")
        print(f"   the page at the failure: {self.artifacts}/failure.png and failure.html", file=sys.stderr)

    def close(self):
        if self.driver is not None:
            self.driver.quit()
        for process in (self.app, self.server):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)
        if self.keep:
            print(f"   kept: {self.work}", file=sys.stderr)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bin-dir", default=os.environ.get("BROWSER_TEST_BIN_DIR", ".build/debug"), type=Path,
                        help="where sync-server and field are (default .build/debug)")
    parser.add_argument("--artifacts", default=os.environ.get("BROWSER_TEST_NOTES_ARTIFACTS", ".build/artifacts/notes"), type=Path,
                        help="where a failure's screenshot goes (default .build/artifacts/notes)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and laptop home")
    arguments = parser.parse_args()
    journey = None
    try:
        journey = Journey(arguments.bin_dir.resolve(), arguments.artifacts.resolve(), arguments.keep)
        status = journey.run()
    except Failed as error:
        print(f"browser test failed: {error}", file=sys.stderr)
        if journey is not None:
            journey.save_failure()
        status = 1
    finally:
        if journey is not None:
            journey.close()
    if status == 0:
        print("The note pages' script behaved in headless Chromium")
    return status


if __name__ == "__main__":
    sys.exit(main())
