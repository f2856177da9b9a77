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

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

import journey
from journey import Failed, check

PASSWORD = "en lang adgangskode"
PASSPHRASE = "laptop passphrase of anna"


class Journey:
    def __init__(self, bin_dir: Path, artifacts: Path):
        self.bin_dir = bin_dir
        self.artifacts = artifacts
        self.work = Path(tempfile.mkdtemp(prefix="casework-notes."))
        self.server = self.app = self.driver = None
        check(journey.axe_is_installed(), journey.AXE_MISSING)

    def field(self, *arguments, input=""):
        run = journey.run_field(self.bin_dir / "field", "anna", self.work / "laptop", arguments, input=input, must=False)
        check(run.returncode == 0, f"field {' '.join(map(str, arguments))} exited with {run.returncode}: {run.stderr.strip()}")
        return run.stdout

    def start(self):
        server_bin = self.bin_dir / "sync-server"
        journey.add_users(server_bin, self.work / "server", (("anna", "caseworker"),), PASSWORD)
        port = journey.free_port()
        self.server = subprocess.Popen([server_bin, "serve", "--data-dir", self.work / "server", "--port", str(port),
                                        "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        journey.wait_until_answering(f"http://127.0.0.1:{port}/health", 10, "sync-server did not answer within 10 seconds")
        self.field("login", "--server", f"http://127.0.0.1:{port}", "--user", "anna", "--password-stdin", input=PASSWORD + "\n")
        self.case = json.loads(self.field("case", "new", "Familien Berg", "--citizen", "0202-BERG", "--json"))["case"]
        self.app = subprocess.Popen([self.bin_dir / "field", "app", "--no-browser", "--home", self.work / "laptop"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                    env=journey.laptop_environment(PASSPHRASE))
        address = re.search(r"(http://\S+)", self.app.stdout.readline())
        check(address is not None, "field app printed no address")
        self.address = address.group(1)
        self.base = self.address.split("/open")[0]
        self.driver = journey.start_chromium("1280,720", accept_languages="da")

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
        serious = [[violation["id"], violation["impact"]] for violation in journey.serious_axe_violations(self.driver)]
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
        journey.save_failure(self.driver, self.artifacts)

    def close(self, keep):
        journey.quit_chromium(self.driver)
        for process in (self.app, self.server):
            journey.stop(process)
        if keep:
            print(f"   kept: {self.work}", file=sys.stderr)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    arguments = journey.parse_arguments(__doc__.split("\n\n")[0], "BROWSER_TEST_NOTES_ARTIFACTS", ".build/artifacts/notes",
                                        "where a failure's screenshot goes", "keep the data directory and laptop home")
    status, _ = journey.run_journey(lambda: Journey(arguments.bin_dir.resolve(), arguments.artifacts.resolve()),
                                    "browser test", arguments.keep)
    if status == 0:
        print("The note pages' script behaved in headless Chromium")
    return status


if __name__ == "__main__":
    sys.exit(main())
