"""What the browser journeys (review_journey.py, note_journey.py,
app_journey.py) share: checks, the sync-server and field processes, headless
Chromium, axe-core, numbered steps and what a failure leaves behind.

The journeys are run as `python3 Tests/Browser/X.py`, which puts this
directory on sys.path: `import journey` finds this module.
"""

import argparse
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service

try:
    from axe_selenium_python import Axe
except ImportError:  # said as a check that failed, not as a traceback
    Axe = None

AXE_MISSING = "axe-core is missing: install axe-selenium-python and axe-playwright-python (scripts/ensure-browser-dependencies)"


class Failed(Exception):
    """A check that did not hold: the message says what was expected."""


def check(condition, message):
    if not condition:
        raise Failed(message)


# --- the server and the laptops ------------------------------------------------


def free_port():
    """A port nobody listens on now: the OS picks it, the probe lets it go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def add_users(server_bin, data_dir, users, password):
    """Adds (name, role) users to a fresh data directory. bcrypt cost 4: the
    journeys test pages, not password hashing, and cost 4 is fast."""
    for name, role in users:
        subprocess.run([server_bin, "user", "add", name, "--role", role, "--password-stdin",
                        "--bcrypt-cost", "4", "--data-dir", data_dir],
                       input=password + "\n", text=True, check=True, capture_output=True)


def wait_until_answering(health_url, seconds, failure, process=None):
    """Waits until health_url answers; a server that stops meanwhile fails at
    once (when its process is given) rather than after the whole wait."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None:
            check(process.poll() is None, "sync-server stopped while starting; see its log")
        try:
            with urllib.request.urlopen(health_url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise Failed(failure)


def laptop_environment(passphrase):
    # XDG_RUNTIME_DIR empty: no key kept by `field unlock` is looked for.
    return dict(os.environ, FIELD_PASSPHRASE=passphrase, XDG_RUNTIME_DIR="")


def run_field(field_bin, who, home, arguments, input=None, must=True):
    """`field ARGUMENTS --home HOME` on who's laptop; with must, a failure of
    it fails the journey with its stderr."""
    run = subprocess.run([field_bin, *arguments, "--home", home], input=input or "", text=True,
                         capture_output=True, env=laptop_environment(f"laptop passphrase of {who}"))
    if must:
        check(run.returncode == 0,
              f"field {' '.join(map(str, arguments))} on {who}'s laptop exited with {run.returncode}: {run.stderr.strip()}")
    return run


def stop(process, seconds=10):
    """Ends a process we started, killing it if it does not end in time, so
    that a journey never leaves a server or an app behind."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()


# --- the browser ------------------------------------------------------------------


def start_chromium(window_size, accept_languages=None):
    """Headless Chromium in Danish. --no-sandbox and --disable-dev-shm-usage:
    containers have neither a sandbox nor a large /dev/shm."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={window_size}",
                     "--lang=da-DK", "--disable-gpu"):
        options.add_argument(argument)
    if accept_languages is not None:
        options.add_experimental_option("prefs", {"intl.accept_languages": accept_languages})
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


def quit_chromium(driver):
    if driver is None:
        return
    try:
        driver.quit()
    except WebDriverException:  # a browser that already died has nothing left to close
        pass


def axe_script():
    """The newest axe-core at hand: the one axe-playwright-python carries
    (4.x) rather than axe-selenium-python's own (3.1.1, of 2018)."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is not None and spec.origin:
        current = os.path.join(os.path.dirname(spec.origin), "axe.min.js")
        if os.path.exists(current):
            return current
    return None


def axe_is_installed():
    return Axe is not None and axe_script() is not None


def serious_axe_violations(driver):
    """axe-core's violations of impact serious or critical on the page shown;
    lesser ones are advice, not failures."""
    check(axe_is_installed(), AXE_MISSING)
    axe = Axe(driver, script_url=axe_script())
    axe.inject()
    return [violation for violation in axe.run()["violations"] if violation.get("impact") in ("serious", "critical")]


def save_failure(driver, artifacts):
    """The page the failure happened on, as a picture and as HTML, for
    whoever reads the failure after the browser is gone."""
    if driver is None:
        return
    try:
        artifacts.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(artifacts / "failure.png"))
        (artifacts / "failure.html").write_text(driver.page_source, encoding="utf-8")
        print(f"   the page at the failure ({driver.current_url}): {artifacts}/failure.png and failure.html",
              file=sys.stderr)
    except WebDriverException:  # a browser that died cannot show its page; the message is said already
        pass


# --- running ------------------------------------------------------------------------


def run_steps(steps, journey_name, on_failure):
    """Runs (title, body) steps in order, numbered as they start. The first
    that fails ends the journey: its number, title and message on stderr (a
    traceback too where the failure was not a check), then on_failure().
    Returns the exit status, 0 or 1."""
    for number, (title, body) in enumerate(steps, 1):
        print(f"{number}. {title}", flush=True)
        try:
            body()
        except Exception as error:  # every failure, expected or not, ends the test with a message
            detail = error.msg if isinstance(error, WebDriverException) else str(error)
            if isinstance(error, subprocess.CalledProcessError):
                detail += f": {error.stderr}"
            print(f"\n{journey_name} failed at step {number} ({title}):\n   {detail}", file=sys.stderr)
            if not isinstance(error, Failed):
                traceback.print_exc(file=sys.stderr)
            on_failure()
            return 1
    return 0


def parse_arguments(description, artifacts_variable, artifacts_default, artifacts_help, keep_help):
    """--bin-dir, --artifacts and --keep, the same for every journey but for
    where its artifacts go and what they are."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bin-dir", default=os.environ.get("BROWSER_TEST_BIN_DIR", ".build/debug"), type=Path,
                        help="where sync-server and field are (default .build/debug)")
    parser.add_argument("--artifacts", default=os.environ.get(artifacts_variable, artifacts_default), type=Path,
                        help=f"{artifacts_help} (default {artifacts_default})")
    parser.add_argument("--keep", action="store_true", help=keep_help)
    return parser.parse_args()


def clear_old_artifacts(artifacts):
    """So that a screenshot or a failure page in the artifacts is this run's."""
    artifacts.mkdir(parents=True, exist_ok=True)
    for old in list(artifacts.glob("*.png")) + list(artifacts.glob("failure.html")):
        old.unlink()


def run_journey(make_journey, journey_name, keep):
    """Makes the journey and runs it, closing it whatever happens. Returns the
    exit status and the journey (None when making it failed)."""
    journey = None
    try:
        journey = make_journey()
        status = journey.run()
    except Failed as error:
        print(f"{journey_name} failed: {error}", file=sys.stderr)
        if journey is not None:
            journey.save_failure()
        status = 1
    finally:
        if journey is not None:
            journey.close(keep)
    return status, journey
