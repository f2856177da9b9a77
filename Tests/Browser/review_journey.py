#!/usr/bin/env python3
"""The review pages in a real browser: headless Chromium driven by selenium.

Starts sync-server on a fresh data directory and a free port, makes a real
conflict with two field clients (anna and bo edit the same note body offline,
then both sync), and then, in Chromium:

* a caseworker who signs in gets the not-allowed page and no session;
* the supervisor (dorte) signs in with the keyboard only, through labelled
  inputs;
* she opens the queue, opens the conflict, writes a merged value and a reason,
  and submits; the page shows the resolution;

and finally both field clients sync and hold the merged body and no open
conflict. Screenshots of the queue, the conflict page and the resolved page go
to the artifacts directory (a failure adds failure.png and failure.html).

    python3 Tests/Browser/review_journey.py --bin-dir .build/debug --artifacts .build/artifacts/browser

Exits 0 when everything behaved, 1 with a message saying what did not.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

import journey
from journey import Failed, check

PASSWORD = "en lang adgangskode"


class Journey:
    def __init__(self, bin_dir: Path, artifacts: Path):
        self.server_bin = bin_dir / "sync-server"
        self.field_bin = bin_dir / "field"
        for binary in (self.server_bin, self.field_bin):
            check(os.access(binary, os.X_OK), f"{binary} is missing; build first: swift build")
        self.artifacts = artifacts
        self.work = Path(tempfile.mkdtemp(prefix="casework-browser."))
        self.data = self.work / "server"
        self.server = None
        self.driver = None
        self.base = None

    # --- the server and the laptops ---------------------------------------------

    def start_server(self):
        journey.add_users(self.server_bin, self.data, (("dorte", "supervisor"), ("anna", "caseworker"), ("bo", "caseworker")),
                          PASSWORD)
        port = journey.free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.server_log = open(self.work / "server.log", "wb")
        self.server = subprocess.Popen([self.server_bin, "serve", "--data-dir", self.data, "--port", str(port),
                                        "--log-level", "warning"], stdout=self.server_log, stderr=subprocess.STDOUT)
        journey.wait_until_answering(self.base + "/health", 10, f"sync-server did not answer {self.base}/health within 10 seconds",
                                     self.server)

    def field(self, who, *arguments, input=None, must=True):
        return journey.run_field(self.field_bin, who, self.work / f"laptop-{who}", arguments, input=input, must=must)

    def field_json(self, who, *arguments, input=None):
        return json.loads(self.field(who, *arguments, "--json", input=input).stdout)

    def make_conflict(self):
        """anna writes a home-visit note and syncs; bo gets the case from the
        supervisor; both change the note body offline; both sync."""
        for who in ("dorte", "anna", "bo"):
            self.field(who, "login", "--server", self.base, "--user", who, "--password-stdin", input=PASSWORD + "\n")
        self.case = self.field_json("anna", "case", "new", "Familien Berg", "--citizen", "0202-BERG")["case"]
        self.field("anna", "participant", "add", self.case, "--name", "Sofie Berg", "--role", "child", "--age", "9")
        self.note = self.field_json("anna", "note", "add", self.case, "--kind", "home-visit", "--title", "Hjemmebesøg",
                                    input="Hjemmebesøg hos familien Berg. Sofie viste sit værelse.")["note"]
        self.field("anna", "sync")
        self.field("dorte", "sync")
        self.field("dorte", "case", "share", self.case, "--with", "bo")
        self.field("dorte", "sync")
        self.field("bo", "sync")
        check(self.field_json("bo", "note", "show", self.note)["body"].startswith("Hjemmebesøg hos familien Berg"),
              "bo's laptop did not receive anna's note")
        # Offline, both edit the same body.
        self.anna_body = "Hjemmebesøg hos familien Berg. Sofie viste sit værelse og fortalte om sin nye veninde."
        self.bo_body = "Hjemmebesøg hos familien Berg. Sofie viste sit værelse. Far var hjemme fra arbejde."
        for who, body in (("anna", self.anna_body), ("bo", self.bo_body)):
            path = self.work / f"body-{who}.txt"
            path.write_text(body, encoding="utf-8")
            self.field(who, "note", "edit", self.note, "--body-file", path)
        for who in ("anna", "bo", "anna"):
            self.field(who, "sync")
        for who in ("anna", "bo"):
            conflicts = self.field_json(who, "conflicts")
            check(len(conflicts) == 1 and conflicts[0]["field"] == "body",
                  f"{who}'s laptop should hold one open conflict on the note body, holds {conflicts}")
        self.conflict = conflicts[0]["id"]

    # --- the browser ----------------------------------------------------------------

    def start_browser(self):
        self.driver = journey.start_chromium("1280,900")

    def open(self, path):
        self.driver.get(self.base + path)

    def navigate(self, action, what):
        """Does what leads to another page (a click, Enter in a form) and waits
        until that page has replaced this one: a click returns before the
        browser has loaded what it asked for."""
        old_page = self.driver.find_element(By.TAG_NAME, "html")
        action()
        try:
            WebDriverWait(self.driver, 15).until(expected_conditions.staleness_of(old_page))
            WebDriverWait(self.driver, 15).until(lambda driver: driver.execute_script("return document.readyState") == "complete")
        except TimeoutException:
            raise Failed(f"{what} should lead to another page within 15 s; the browser stayed on {self.driver.current_url}")

    def heading(self):
        return self.driver.find_element(By.TAG_NAME, "h1").text

    def screenshot(self, name):
        """The whole page, not only the window (Chromium's DevTools protocol
        captures beyond the viewport)."""
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}})
        path = self.artifacts / f"{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        print(f"   screenshot: {path}")

    def delete_cookies(self):
        self.driver.delete_all_cookies()

    def sign_in_with_the_mouse(self, user):
        self.open("/review/sign-in")
        self.driver.find_element(By.ID, "user").send_keys(user)
        self.driver.find_element(By.ID, "password").send_keys(PASSWORD)
        button = self.driver.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]")
        self.navigate(button.click, "signing in")

    def a_caseworker_is_not_let_in(self):
        self.sign_in_with_the_mouse("anna")
        check(self.heading() == "Not allowed", f"a caseworker signing in should see 'Not allowed', saw '{self.heading()}'")
        check("supervisors" in self.driver.find_element(By.CSS_SELECTOR, "main [role=alert]").text,
              "the not-allowed page should say who the pages are for")
        check(self.driver.get_cookie("review_session") is None, "a caseworker got a session cookie")
        self.screenshot("0-not-allowed")
        self.open("/review/conflicts")
        check(self.heading() == "Sign in", f"without a session the queue should lead to sign-in, showed '{self.heading()}'")

    def the_supervisor_signs_in_with_the_keyboard(self):
        self.delete_cookies()
        self.open("/review/sign-in")
        # Every input of the form has a label that names it.
        for input_id, label in (("user", "User name"), ("password", "Password")):
            labels = self.driver.find_elements(By.CSS_SELECTOR, f"label[for={input_id}]")
            check(len(labels) == 1 and labels[0].text == label, f"the input #{input_id} should have the label '{label}'")
        # Tab from the top of the page: the skip link, then the user name.
        body = self.driver.find_element(By.TAG_NAME, "body")
        body.send_keys(Keys.TAB)
        active = self.driver.switch_to.active_element
        check(active.get_attribute("class") == "skip", "the first Tab should reach the skip link")
        check(active.is_displayed() and active.rect["x"] >= 0, "the skip link should be visible when it has focus")
        for _ in range(5):
            active = self.driver.switch_to.active_element
            if active.get_attribute("id") == "user":
                break
            active.send_keys(Keys.TAB)
        check(active.get_attribute("id") == "user", "Tab should reach the user name input")
        active.send_keys("dorte")
        self.screenshot("0-sign-in")
        active = self.driver.switch_to.active_element
        check(active.get_attribute("id") == "user", "taking the screenshot should keep the focus on the user name")
        active.send_keys(Keys.TAB)
        active = self.driver.switch_to.active_element
        check(active.get_attribute("id") == "password", "the next Tab should reach the password input")
        active.send_keys(PASSWORD)
        self.navigate(lambda: active.send_keys(Keys.ENTER), "Enter in the password input")
        check(self.heading() == "Conflict queue", f"signing in should lead to the conflict queue, showed '{self.heading()}'")
        check("Signed in as dorte" in self.driver.find_element(By.CSS_SELECTOR, "header.site").text,
              "the header should say who is signed in")
        check(self.driver.get_cookie("review_session") is not None, "signing in set no session cookie")

    def the_queue_shows_the_conflict(self):
        rows = self.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")
        texts = [row.text for row in rows]
        matching = [row for row in rows if "note: body" in row.text and "Familien Berg" in row.text]
        check(len(matching) == 1, f"the queue should list the conflict on the note body of Familien Berg, lists {texts}")
        check("anna" in matching[0].text and "bo" in matching[0].text, f"the queue should name both writers: {matching[0].text}")
        self.screenshot("1-queue")
        link = matching[0].find_element(By.LINK_TEXT, "note: body")
        self.navigate(link.click, "the conflict's link in the queue")

    def the_conflict_page_shows_both_values(self):
        check(self.heading() == "Conflict on body", f"the conflict page should be headed 'Conflict on body', is '{self.heading()}'")
        cards = self.driver.find_elements(By.CSS_SELECTOR, ".value-card")
        check(len(cards) == 2, f"the page should show two values, shows {len(cards)}")
        shown = " ".join(card.text for card in cards)
        for who in ("anna", "bo"):
            check(who in shown, f"the values should name their author {who}")
        marks = [mark.text for mark in self.driver.find_elements(By.CSS_SELECTOR, ".value-card mark")]
        check(any("veninde" in mark for mark in marks) and any("Far" in mark for mark in marks),
              f"the differing passages should be marked, marks are {marks}")
        self.screenshot("2-conflict")

    def the_supervisor_merges_and_gives_a_reason(self):
        self.merged = ("Hjemmebesøg hos familien Berg. Sofie viste sit værelse og fortalte om sin nye veninde. "
                       "Far var hjemme fra arbejde.")
        self.reason = "Begge oplysninger er rigtige; de to noter skrives sammen."
        self.driver.find_element(By.CSS_SELECTOR, "label[for=choice-merged]").click()
        check(self.driver.find_element(By.ID, "choice-merged").is_selected(), "clicking the label should pick the merged value")
        radio, label = (self.driver.find_element(By.CSS_SELECTOR, selector) for selector in ("#choice-merged", "label[for=choice-merged]"))
        beside = label.rect["x"] >= radio.rect["x"] + radio.rect["width"]
        level = abs(radio.rect["y"] + radio.rect["height"] / 2 - (label.rect["y"] + label.rect["height"] / 2)) < label.rect["height"] / 2
        check(beside and level, f"a radio button should sit just left of its label, on its line: radio {radio.rect}, label {label.rect}")
        merged = self.driver.find_element(By.ID, "merged")
        merged.clear()
        merged.send_keys(self.merged)
        self.driver.find_element(By.ID, "reason").send_keys(self.reason)
        button = self.driver.find_element(By.XPATH, "//button[normalize-space()='Resolve the conflict']")
        self.navigate(button.click, "the button 'Resolve the conflict'")
        check(self.heading() == "Resolved conflict on body", f"after resolving, the page should be headed 'Resolved conflict on body', is '{self.heading()}'")
        resolution = self.driver.find_element(By.CSS_SELECTOR, "section.resolution").text
        for expected in ("dorte", self.reason, self.merged):
            check(expected in resolution, f"the resolution should show '{expected}', shows: {resolution}")
        check(not self.driver.find_elements(By.ID, "reason"), "a resolved conflict should offer no form")
        self.screenshot("3-resolved")
        link = self.driver.find_element(By.CSS_SELECTOR, "p.crumbs a[href^='/review/cases/']")
        self.navigate(link.click, "the case link of the resolved conflict")
        check(self.heading() == "Familien Berg", f"the case link should open the case, showed '{self.heading()}'")
        main = self.driver.find_element(By.TAG_NAME, "main").text
        check("In conflict" not in main, "the case timeline should show no open conflict after the resolution")
        self.screenshot("4-case")
        self.open("/review/conflicts?status=open")
        check("No conflicts match." in self.driver.find_element(By.TAG_NAME, "main").text,
              "the queue of open conflicts should be empty after the resolution")

    def both_laptops_receive_the_resolution(self):
        for who in ("anna", "bo"):
            self.field(who, "sync")
        seen = {}
        for who in ("anna", "bo"):
            note = self.field_json(who, "note", "show", self.note)
            check(note["body"] == self.merged, f"{who}'s laptop should hold the merged body, holds {note['body']!r}")
            conflicts = self.field_json(who, "conflicts")
            check(conflicts == [], f"{who}'s laptop should hold no open conflict, holds {conflicts}")
            seen[who] = self.field(who, "case", "show", self.case, "--json").stdout
        check(seen["anna"] == seen["bo"], "both laptops should show the same case")

    # --- running --------------------------------------------------------------------

    def run(self):
        steps = [
            ("sync-server starts on a fresh data directory", self.start_server),
            ("anna and bo edit the same note body offline and sync: a conflict", self.make_conflict),
            ("headless Chromium starts", self.start_browser),
            ("a caseworker who signs in is not let in", self.a_caseworker_is_not_let_in),
            ("dorte signs in with the keyboard only", self.the_supervisor_signs_in_with_the_keyboard),
            ("the queue lists the conflict", self.the_queue_shows_the_conflict),
            ("the conflict page shows both values, the differences marked", self.the_conflict_page_shows_both_values),
            ("dorte writes a merged value and a reason, and resolves", self.the_supervisor_merges_and_gives_a_reason),
            ("both laptops sync and hold the merged value, no conflict open", self.both_laptops_receive_the_resolution),
        ]
        return journey.run_steps(steps, "browser test", self.save_failure)

    def save_failure(self):
        journey.save_failure(self.driver, self.artifacts)

    def close(self, keep):
        journey.quit_chromium(self.driver)
        if self.server is not None:
            journey.stop(self.server)
            self.server_log.close()
            shutil.copy(self.work / "server.log", self.artifacts / "server.log")
        if keep:
            print(f"kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    arguments = journey.parse_arguments(__doc__.split("\n\n")[0], "BROWSER_TEST_ARTIFACTS", ".build/artifacts/browser",
                                        "where screenshots go", "keep the data directory and laptop homes")
    journey.clear_old_artifacts(arguments.artifacts)
    started = time.monotonic()
    status, _ = journey.run_journey(lambda: Journey(arguments.bin_dir.resolve(), arguments.artifacts.resolve()),
                                    "browser test", arguments.keep)
    if status == 0:
        print(f"The review pages behaved in headless Chromium ({time.monotonic() - started:.0f} s); "
              f"screenshots in {arguments.artifacts}")
    return status


if __name__ == "__main__":
    sys.exit(main())
