#!/usr/bin/env python3
"""The caseworker's app (`field app`) in a real browser: headless Chromium
driven by selenium, every page checked by axe-core.

Starts sync-server on a fresh data directory and a free port, signs in a
supervisor (dorte) and two caseworkers (anna and bo) on laptop homes of their
own, starts `field app --no-browser` on anna's laptop and opens the address it
prints. Then, at 1280x720, with the keyboard where it matters and every field
found through its label:

* anna creates a case with two participants;
* writes a network-meeting note (kind, participants present, the child's
  view), leaves the page before saving it, and finds the text again (autosave);
* finalizes it through the confirmation, and sets the next step;
* syncs from the page; dorte shares the case with bo, and bo's laptop shows
  the note (`field note list`, `field note show`);
* with the server stopped, the app keeps working and its sync says there is
  no connection;
* anna (in the app) and bo (on the command line) change the same draft's text
  without seeing each other's change; after both sync, the note page marks
  the conflict at its field; dorte resolves it on /review; after anna's next
  sync the mark is gone;
* the server revokes anna's laptop; the app's sync says its data was deleted.

axe-core runs on every page visited: a violation of impact serious or
critical fails the journey, naming the rule, the page and the element.
Screenshots of every page go to the artifacts directory, named by step (a
failure adds failure.png and failure.html, and the logs of the server and the
app).

    python3 Tests/Browser/app_journey.py --bin-dir .build/debug --artifacts .build/artifacts/app

Exits 0 when everything behaved, 1 with a message saying what did not.
"""

import base64
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

import journey
from journey import Failed, check

PASSWORD = "en lang adgangskode"
CASE = "Familien Holm"


class Journey:
    def __init__(self, bin_dir: Path, artifacts: Path):
        self.server_bin = bin_dir / "sync-server"
        self.field_bin = bin_dir / "field"
        for binary in (self.server_bin, self.field_bin):
            check(os.access(binary, os.X_OK), f"{binary} is missing; build first: swift build")
        self.artifacts = artifacts
        self.work = Path(tempfile.mkdtemp(prefix="casework-app."))
        self.data = self.work / "server"
        self.server = None
        self.server_log = None
        self.app = None
        self.app_log = None
        self.driver = None
        self.shots = 0
        self.axe_pages = 0

    # --- the server and the laptops ---------------------------------------------

    def add_users(self):
        journey.add_users(self.server_bin, self.data, (("dorte", "supervisor"), ("anna", "caseworker"), ("bo", "caseworker")),
                          PASSWORD)
        self.port = journey.free_port()
        self.server_url = f"http://127.0.0.1:{self.port}"
        self.start_server()

    def start_server(self):
        if self.server_log is None:
            self.server_log = open(self.work / "server.log", "ab")
        self.server = subprocess.Popen([self.server_bin, "serve", "--data-dir", self.data, "--port", str(self.port),
                                        "--log-level", "warning"], stdout=self.server_log, stderr=subprocess.STDOUT)
        journey.wait_until_answering(self.server_url + "/health", 15,
                                     f"sync-server did not answer {self.server_url}/health within 15 seconds", self.server)

    def stop_server(self):
        self.server.terminate()
        self.server.wait(timeout=15)
        self.server = None

    def home(self, who):
        return self.work / f"laptop-{who}"

    def field(self, who, *arguments, input=None, must=True):
        return journey.run_field(self.field_bin, who, self.home(who), arguments, input=input, must=must)

    def field_json(self, who, *arguments, input=None):
        return json.loads(self.field(who, *arguments, "--json", input=input).stdout)

    def sign_in_laptops(self):
        for who in ("dorte", "anna", "bo"):
            self.field(who, "login", "--server", self.server_url, "--user", who, "--password-stdin", input=PASSWORD + "\n")

    def start_app(self):
        """`field app --no-browser` on anna's laptop; the address it prints."""
        self.app_log = open(self.work / "app.log", "wb")
        self.app = subprocess.Popen([self.field_bin, "app", "--no-browser", "--home", self.home("anna")],
                                    stdout=subprocess.PIPE, stderr=self.app_log,
                                    env=journey.laptop_environment("laptop passphrase of anna"))
        line = self.app.stdout.readline().decode("utf-8", "replace")
        found = re.search(r"http://127\.0\.0\.1:\d+/s/[^/\s]+/open\?secret=\S+", line)
        check(found is not None, f"field app should print the address to open, printed {line!r}")
        self.opening = found.group(0)
        self.app_base = self.opening[: -len("/open?secret=") - len(self.opening.split("secret=", 1)[1])]

    # --- the browser ----------------------------------------------------------------

    def start_browser(self):
        self.driver = journey.start_chromium("1280,720", accept_languages="da-DK,da")
        self.driver.set_window_size(1280, 720)

    def navigate(self, action, what):
        """Does what leads to another page (a click, Enter in a form) and waits
        until that page has replaced this one."""
        old_page = self.driver.find_element(By.TAG_NAME, "html")
        action()
        try:
            WebDriverWait(self.driver, 30).until(lambda driver: self.is_gone(old_page))
            WebDriverWait(self.driver, 30).until(lambda driver: driver.execute_script("return document.readyState") == "complete")
        except TimeoutException:
            raise Failed(f"{what} should lead to another page within 30 s; the browser stayed on {self.driver.current_url}")

    @staticmethod
    def is_gone(element):
        """Whether the page `element` was in has been replaced. Chromium may
        also answer that the node no longer belongs to the document while it
        swaps the pages: gone too."""
        try:
            element.is_enabled()
            return False
        except WebDriverException:
            return True

    def open(self, url):
        self.driver.get(url)

    def heading(self):
        return self.driver.find_element(By.TAG_NAME, "h1").text

    def main_text(self):
        return self.driver.find_element(By.TAG_NAME, "main").text

    def page(self, name):
        """Every page visited: axe-core finds no serious or critical
        violation, and a screenshot goes to the artifacts."""
        self.axe_check(name)
        self.screenshot(name)

    def axe_check(self, name):
        violations = journey.serious_axe_violations(self.driver)
        self.axe_pages += 1
        bad = [violation for violation in violations if not self.known_false_positive(violation)]
        if bad:
            lines = []
            for violation in bad:
                for node in violation["nodes"][:3]:
                    lines.append(f"{violation['impact']} {violation['id']} ({violation['help']}) at {node['target']}: {node['html'][:160]}")
            raise Failed(f"axe-core found serious or critical violations on {name} ({self.driver.current_url}):\n   "
                         + "\n   ".join(lines))

    @staticmethod
    def known_false_positive(violation):
        """axe-core before 3.5 (what axe-selenium-python 2.x ships; its 3.x
        needs Python 3.12) calls autocomplete="off" invalid on a search field,
        which the HTML standard allows on every field: the app keeps it, so
        that a citizen reference searched for stays out of the browser's
        form history."""
        return violation["id"] == "autocomplete-valid" and all(
            'autocomplete="off"' in node["html"] for node in violation["nodes"])

    def screenshot(self, name):
        self.shots += 1
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": max(size["width"], 1280), "height": min(max(size["height"], 720), 8000), "scale": 1}})
        path = self.artifacts / f"{self.shots:02d}-{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        print(f"   screenshot: {path}")

    def labelled(self, text):
        """The field whose label says `text`: found through label[for], so that
        a field without its label fails the journey."""
        labels = [label for label in self.driver.find_elements(By.CSS_SELECTOR, "label[for]")
                  if label.text.strip() == text]
        check(len(labels) == 1, f"one label '{text}' should be on {self.driver.current_url}, "
                                f"found {len(labels)} among {[l.text for l in self.driver.find_elements(By.TAG_NAME, 'label')]}")
        found = self.driver.find_elements(By.ID, labels[0].get_attribute("for"))
        check(len(found) == 1, f"the label '{text}' names no field")
        return found[0]

    def type_into(self, label, text):
        field = self.labelled(label)
        field.clear()
        field.send_keys(text)
        return field

    def type_date(self, label, day: datetime.date):
        """A date input, typed as a person types it: the order of day, month
        and year is the browser's locale's, so each order is tried."""
        field = self.labelled(label)
        day_, month, year = f"{day.day:02d}", f"{day.month:02d}", str(day.year)
        for keys in ((day_, month, year), (month, day_, year), (year, Keys.ARROW_RIGHT, month, day_)):
            field.clear()
            field.send_keys(*keys)
            if field.get_attribute("value") == day.isoformat():
                return
        raise Failed(f"typing {day:%d-%m-%Y} into '{label}' should give {day.isoformat()}, gave {field.get_attribute('value')!r}")

    def link(self, text):
        links = self.driver.find_elements(By.XPATH, f"//main//a[normalize-space()='{text}'] | //header//a[normalize-space()='{text}']")
        check(links, f"a link '{text}' should be on {self.driver.current_url}")
        return links[0]

    def button(self, text, scope="//main"):
        buttons = self.driver.find_elements(By.XPATH, f"{scope}//button[normalize-space()='{text}']")
        check(buttons, f"a button '{text}' should be on {self.driver.current_url}")
        return buttons[0]

    def press_enter(self, element, what):
        self.navigate(lambda: element.send_keys(Keys.ENTER), what)

    def header_text(self):
        return self.driver.find_element(By.CSS_SELECTOR, "header.site").text

    # --- the journey ----------------------------------------------------------------

    def opens_the_app(self):
        self.open(self.opening)
        check(self.heading() == "Forside", f"the address should open the Forside, showed '{self.heading()}'")
        check("Logget ind som anna" in self.header_text(), "the header should say who is signed in")
        check(self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da", "the pages should be in Danish")
        self.page("agenda")

    def creates_a_case_with_participants(self):
        self.navigate(self.link("Sager").click, "the link Sager")
        self.page("cases")
        self.navigate(self.link("Ny sag").click, "the link Ny sag")
        title = self.type_into("Sagens titel", CASE)
        self.type_into("Borgerreference (valgfri)", "0101-HOLM")
        self.page("case-new")
        self.press_enter(title, "Enter in the case's title")
        check(self.heading() == CASE, f"creating the case should show it, showed '{self.heading()}'")
        self.case_url = self.driver.current_url.split("#")[0].split("?")[0]
        self.page("case")
        for name, role, age in (("Lene Holm", "Forælder", None), ("Emil Holm", "Barn", "9")):
            self.navigate(self.link("Tilføj deltager").click, "the link Tilføj deltager")
            name_field = self.type_into("Navn", name)
            Select(self.labelled("Rolle")).select_by_visible_text(role)
            if age:
                self.type_into("Alder (valgfri)", age)
            if role == "Barn":
                self.page("participant-new")
            self.press_enter(name_field, f"Enter in the participant's name ({name})")
            check(name in self.main_text(), f"the case should list the participant {name}")
        self.case_id = self.case_url.rstrip("/").rsplit("/", 1)[1]

    def writes_a_note_and_finds_it_again_after_leaving(self):
        self.open(self.case_url)
        self.navigate(self.link("Nyt notat").click, "the link Nyt notat")
        Select(self.labelled("Type")).select_by_visible_text("Netværksmøde")
        title = self.type_into("Titel", "Netværksmøde på skolen")
        self.page("note-new")
        self.press_enter(title, "Enter in the note's title")
        check("Kladde" in self.heading(), f"creating the note should show its draft, showed '{self.heading()}'")
        self.note_url = self.driver.current_url.split("#")[0].split("?")[0]
        self.note_id = self.note_url.rstrip("/").rsplit("/", 1)[1]
        for name in ("Lene Holm (Forælder)", "Emil Holm (Barn)"):
            box = self.labelled(name)
            if not box.is_selected():
                box.send_keys(Keys.SPACE)
            check(box.is_selected(), f"Space should tick '{name}'")
        yes = self.labelled("Ja")
        yes.send_keys(Keys.SPACE)
        check(yes.is_selected(), "Space should choose that the child was present")
        self.child_view = "Emil siger, at han godt kan lide sin nye lærer."
        self.type_into("Barnets egne ord", self.child_view)
        self.body = "Mødet på skolen med klasselærer og mor. Emil har haft det bedre siden efterårsferien."
        self.type_into("Notatets tekst", self.body)
        self.page("note-draft")
        # Half-way: the tab goes elsewhere before "Gem kladde" is pressed.
        self.open(self.app_base + "/cases")
        deadline = time.monotonic() + 15
        while True:
            self.open(self.note_url)
            if self.body in self.labelled("Notatets tekst").get_attribute("value"):
                break
            check(time.monotonic() < deadline, "the draft's text should have been saved on leaving the page (autosave)")
            time.sleep(0.5)
        check(self.child_view in self.labelled("Barnets egne ord").get_attribute("value"), "the child's view should be kept too")
        self.page("note-draft-again")

    def finalizes_the_note(self):
        self.navigate(self.button("Afslut notatet …").click, "the button Afslut notatet …")
        check(self.heading() == "Afslut notatet?", f"finalizing should ask first, showed '{self.heading()}'")
        self.page("note-finalize")
        confirm = self.button("Ja, afslut notatet")
        confirm_focus = lambda: confirm.send_keys(Keys.ENTER)
        self.navigate(confirm_focus, "Enter on Ja, afslut notatet")
        check("Færdig" in self.heading(), f"the note should be finalized, showed '{self.heading()}'")
        check(self.body in self.main_text(), "the finalized note should show its text")
        self.page("note-finalized")

    def sets_the_next_step(self):
        self.open(self.case_url)
        self.navigate(self.link("Sæt næste skridt").click, "the link Sæt næste skridt")
        self.next_step = "Opfølgende møde på skolen"
        text = self.type_into("Hvad sker der nu?", self.next_step)
        self.due = datetime.date.today() + datetime.timedelta(days=14)
        self.type_date("Frist", self.due)
        self.page("next-step")
        self.navigate(self.button("Gem næste skridt").click, "the button Gem næste skridt")
        check(self.next_step in self.main_text(), "the case page should show the next step")
        self.page("case-with-step")
        self.open(self.app_base + "/")
        check(self.next_step in self.main_text(), "the Forside should list the next step")
        self.page("agenda-with-step")

    def sync_from_the_page(self, name, expected, timeout=60):
        """Presses the header's sync button and waits for the outcome that the
        page puts in place of its progress (app.js), without reloading."""
        self.navigate(self.button("Synkronisér nu", scope="//header").click, "the header's button Synkronisér nu")
        check(self.heading() == "Synkronisering", f"the sync button should lead to the sync page, showed '{self.heading()}'")
        try:
            WebDriverWait(self.driver, timeout).until(
                lambda driver: driver.find_elements(By.ID, "sync-outcome") or driver.find_elements(By.CSS_SELECTOR, "main h1")[0].text != "Synkronisering")
        except TimeoutException:
            raise Failed(f"the sync page should show how the sync ended within {timeout} s; shows: {self.main_text()}")
        text = self.driver.find_element(By.TAG_NAME, "main").text
        check(expected in text, f"the sync page should say '{expected}', says: {text}")
        self.page(name)
        return text

    def syncs_and_bo_sees_the_note(self):
        text = self.sync_from_the_page("sync-done", "Synkroniseringen er færdig")
        check("Sendt til serveren:" in text, f"the outcome should say how many changes went: {text}")
        check("Alle ændringer er sendt" in self.header_text(), f"no change should wait after the sync: {self.header_text()}")
        self.field("dorte", "sync")
        self.field("dorte", "case", "share", self.case_id, "--with", "bo")
        self.field("dorte", "sync")
        self.field("bo", "sync")
        notes = self.field_json("bo", "note", "list", self.case_id)
        check([note["note"] for note in notes] == [self.note_id] and notes[0]["status"] == "finalized",
              f"bo's laptop should list anna's finalized note, lists {notes}")
        shown = self.field_json("bo", "note", "show", self.note_id)
        check(shown["body"].strip() == self.body and shown["childView"].strip() == self.child_view and shown["kind"] == "network-meeting"
              and len(shown["present"]) == 2 and shown["childPresent"] is True,
              f"bo's laptop should show the note as anna wrote it, shows {shown}")

    def works_without_the_server(self):
        self.stop_server()
        self.open(self.case_url)
        check(self.heading() == CASE, "the case page should open without the server")
        self.navigate(self.link("Nyt notat").click, "the link Nyt notat")
        title = self.type_into("Titel", "Telefonsamtale med mor")
        Select(self.labelled("Type")).select_by_visible_text("Telefonsamtale")
        self.press_enter(title, "Enter in the note's title")
        check("Kladde" in self.heading(), "a draft should be made without the server")
        self.draft_url = self.driver.current_url.split("#")[0].split("?")[0]
        self.draft_id = self.draft_url.rstrip("/").rsplit("/", 1)[1]
        self.type_into("Notatets tekst", "Mor ringede om skolekørslen.")
        self.navigate(self.button("Gem kladde").click, "the button Gem kladde")
        self.page("offline-draft")
        self.sync_from_the_page("sync-no-connection", "Ingen forbindelse til serveren", timeout=90)
        check("Dine ændringer er gemt på denne computer" in self.main_text(), "the page should say the changes are kept")
        self.start_server()

    def a_conflict_is_settled_on_review(self):
        self.sync_from_the_page("sync-draft", "Synkroniseringen er færdig")
        self.field("bo", "sync")
        # Both change the draft's text without seeing the other's change.
        self.anna_text = "Mor ringede om skolekørslen. Hun beder om et møde."
        self.bo_text = "Mor ringede om skolekørslen. Far henter Emil om torsdagen."
        self.open(self.draft_url)
        self.type_into("Notatets tekst", self.anna_text)
        self.navigate(self.button("Gem kladde").click, "the button Gem kladde")
        path = self.work / "bo-body.txt"
        path.write_text(self.bo_text, encoding="utf-8")
        self.field("bo", "note", "edit", self.draft_id, "--body-file", path)
        self.sync_from_the_page("sync-before-conflict", "Synkroniseringen er færdig")
        self.field("bo", "sync")
        self.sync_from_the_page("sync-conflict", "Synkroniseringen er færdig")
        check("1 åben konflikt" in self.header_text(), f"the header should count the open conflict: {self.header_text()}")
        self.open(self.draft_url)
        marks = self.driver.find_elements(By.CSS_SELECTOR, "main .conflict")
        check(len(marks) == 1 and "bo" in marks[0].text, f"the note page should mark the conflict at its field, marks {[m.text for m in marks]}")
        self.page("note-conflict")
        # The header's count leads to the conflicts of her cases, and on to
        # the values side by side with what happens next.
        self.navigate(self.driver.find_element(By.CSS_SELECTOR, "a.conflicts").click, "the header's conflict count")
        check(self.heading() == "Konflikter på dine sager", f"the count should lead to the conflicts, showed '{self.heading()}'")
        self.page("conflicts")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "main tbody tr")
        check(len(rows) == 1, f"one open conflict should be listed, {len(rows)} are")
        self.navigate(rows[0].find_element(By.CSS_SELECTOR, "th a").click, "the conflict's link")
        text = self.main_text()
        # The differing words are marked, with "[forskel: …]" for screen readers.
        plain = " ".join(text.replace("[forskel:", " ").replace("]", " ").split())
        for value in (self.anna_text, self.bo_text):
            check(value in plain, f"the conflict page should show '{value}' side by side: {text}")
        check("En teamleder afgør konflikten" in text, f"the caseworker should read what happens next: {text}")
        check(not self.driver.find_elements(By.CSS_SELECTOR, "main form textarea"), "a caseworker should get no form to settle it")
        self.page("conflict")
        # dorte resolves it on /review, keeping a merged text.
        self.open(self.server_url + "/review/sign-in")
        self.labelled("User name").send_keys("dorte")
        password = self.labelled("Password")
        password.send_keys(PASSWORD)
        self.page("review-sign-in")
        self.press_enter(password, "Enter in the review's password")
        check(self.heading() == "Conflict queue", f"dorte should reach the conflict queue, saw '{self.heading()}'")
        rows = [row for row in self.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr") if "note: body" in row.text]
        check(len(rows) == 1, "the queue should list the conflict on the draft's text")
        self.page("review-queue")
        self.navigate(rows[0].find_element(By.LINK_TEXT, "note: body").click, "the conflict's link")
        self.page("review-conflict")
        self.merged = "Mor ringede om skolekørslen. Hun beder om et møde. Far henter Emil om torsdagen."
        self.labelled("A merged value, written below").send_keys(Keys.SPACE)
        self.type_into("Merged value", self.merged)
        self.type_into("Reason (required, kept on record)", "Begge dele er rigtigt.")
        self.navigate(self.button("Resolve the conflict").click, "the button Resolve the conflict")
        check(self.heading() == "Resolved conflict on body", f"the conflict should be resolved, saw '{self.heading()}'")
        self.page("review-resolved")
        self.open(self.app_base + "/")
        self.sync_from_the_page("sync-settled", "Synkroniseringen er færdig")
        check("konflikt" not in self.header_text(), f"the header should count no conflict after the sync: {self.header_text()}")
        self.open(self.draft_url)
        check(not self.driver.find_elements(By.CSS_SELECTOR, "main .conflict"), "the note page should mark no conflict once it is settled")
        check(self.merged in self.labelled("Notatets tekst").get_attribute("value"), "the draft should hold the merged text")
        self.page("note-settled")

    def a_revoked_laptop_is_told_its_data_is_gone(self):
        devices = subprocess.run([self.server_bin, "device", "list", "--data-dir", self.data],
                                 text=True, capture_output=True, check=True).stdout
        annas = [line.split("\t")[0] for line in devices.splitlines() if "\tanna\t" in line]
        check(len(annas) == 1, f"the server should list one device of anna's, lists {devices}")
        subprocess.run([self.server_bin, "device", "revoke", annas[0], "--data-dir", self.data], text=True, capture_output=True, check=True)
        self.open(self.app_base + "/")
        self.navigate(self.button("Synkronisér nu", scope="//header").click, "the header's button Synkronisér nu")
        try:
            WebDriverWait(self.driver, 60).until(lambda driver: "slettet" in driver.find_element(By.TAG_NAME, "h1").text)
        except TimeoutException:
            status = self.driver.execute_async_script(
                "var done = arguments[0]; fetch(document.getElementById('sync-state').getAttribute('data-status'))"
                ".then(function (r) { return r.text().then(function (t) { done(r.status + ' ' + t); }); })"
                ".catch(function (e) { done('failed: ' + e); });")
            page = self.driver.execute_async_script(
                "var done = arguments[0]; fetch(window.location.href, { credentials: 'same-origin', cache: 'no-store', redirect: 'error' })"
                ".then(function (r) { return r.text().then(function (t) { done(r.status + ' ' + r.ok + ' ' + t.length); }); })"
                ".catch(function (e) { done('failed: ' + e); });")
            raise Failed(f"the sync page should say the data was deleted; its status answer is {status}; the page answers {page}; it shows: {self.main_text()}")
        check(self.heading() == "Sagsdata er slettet fra denne computer", f"the page should say the data is deleted, says '{self.heading()}'")
        self.page("data-deleted")
        self.open(self.case_url)
        check(self.heading() == "Sagsdata er slettet fra denne computer" and CASE not in self.main_text(),
              "the case page should say the data is deleted, and show nothing of the case")
        self.page("case-after-deletion")
        left = [path.name for path in (self.home("anna") / "data").glob("*") if path.name.startswith(("replica.sqlite", "vault"))]
        check(left == [], f"anna's laptop should hold no case data, holds {left}")

    # --- running --------------------------------------------------------------------

    def run(self):
        steps = [
            ("sync-server starts; dorte, anna and bo sign in on their laptops", lambda: (self.add_users(), self.sign_in_laptops())),
            ("field app starts on anna's laptop; headless Chromium opens it", lambda: (self.start_app(), self.start_browser(), self.opens_the_app())),
            ("anna creates a case with two participants", self.creates_a_case_with_participants),
            ("she writes a network-meeting note, leaves before saving, finds it again", self.writes_a_note_and_finds_it_again_after_leaving),
            ("she finalizes it through the confirmation", self.finalizes_the_note),
            ("she sets the next step", self.sets_the_next_step),
            ("she syncs from the page; the case shared with bo, his laptop shows the note", self.syncs_and_bo_sees_the_note),
            ("with the server stopped the app works, and its sync says there is no connection", self.works_without_the_server),
            ("a conflict marked on the note is settled on /review, and gone after a sync", self.a_conflict_is_settled_on_review),
            ("anna's laptop is revoked: the sync says its data was deleted", self.a_revoked_laptop_is_told_its_data_is_gone),
        ]
        return journey.run_steps(steps, "app journey", self.save_failure)

    def save_failure(self):
        journey.save_failure(self.driver, self.artifacts)

    def close(self, keep):
        journey.quit_chromium(self.driver)
        for process in (self.app, self.server):
            journey.stop(process)
        for log, name in ((self.server_log, "server.log"), (self.app_log, "app.log")):
            if log is not None:
                log.close()
                shutil.copy(self.work / name, self.artifacts / name)
        if keep:
            print(f"kept: {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    arguments = journey.parse_arguments(__doc__.split("\n\n")[0], "APP_TEST_ARTIFACTS", ".build/artifacts/app",
                                        "where screenshots go", "keep the data directory and laptop homes")
    journey.clear_old_artifacts(arguments.artifacts)
    started = time.monotonic()
    status, app_journey = journey.run_journey(lambda: Journey(arguments.bin_dir.resolve(), arguments.artifacts.resolve()),
                                              "app journey", arguments.keep)
    if status == 0:
        print(f"field app behaved in headless Chromium ({time.monotonic() - started:.0f} s): axe-core checked "
              f"{app_journey.axe_pages} pages; screenshots in {arguments.artifacts}")
    return status


if __name__ == "__main__":
    sys.exit(main())
