"""The console under test: a real alice-console process (the installed module,
`python -m alice_console`) on a free port, talking gRPC to the tests' real
Alice, and a real headless Chromium (Debian's chromium and chromedriver,
through selenium; nothing is downloaded).

Alice runs in the test session's event loop, so a test that drives the
browser or the HTTP client (both blocking) runs that part in a thread
(`asyncio.to_thread`) and Alice keeps serving meanwhile.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.ports import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def artifacts_dir(name: str) -> Path:
    """$ALICE_TEST_ARTIFACTS/<name>, or a temporary directory (printed)."""
    root = os.environ.get("ALICE_TEST_ARTIFACTS")
    base = Path(root) if root else Path(tempfile.gettempdir()) / "alice-test-artifacts"
    path = base / name
    path.mkdir(parents=True, exist_ok=True)
    print(f"console screenshots in {path}")
    return path


@dataclass
class RunningConsole:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    session_secret: str

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def running_console(alice_address: str, jwt_secret: str, **env: str) -> Iterator[RunningConsole]:
    port = free_port()
    session_secret = secrets.token_urlsafe(48)
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ALICE_", "JWT_SECRET"))
    } | {
        "ALICE_ADDR": alice_address,
        "JWT_SECRET_KEY": jwt_secret,
        "ALICE_CONSOLE_SESSION_SECRET": session_secret,
        **env,
    }
    directory = Path(tempfile.mkdtemp(prefix="alice-console-"))
    log = directory / "console.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "alice_console", "--listen", f"127.0.0.1:{port}"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    console = RunningConsole(f"http://127.0.0.1:{port}", process, log, session_secret)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"alice-console exited:\n{console.log_text()}")
            try:
                if httpx.get(console.url + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"alice-console did not answer:\n{console.log_text()}")
            time.sleep(0.2)
        yield console
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


class ConsoleHttp:
    """A plain HTTP client of the console with its own cookie jar (one user)."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, follow_redirects=False, timeout=30)
        self.csrf = ""

    def login(self, login: str, password: str) -> httpx.Response:
        page = self.http.get("/login")
        response = self.http.post(
            "/login",
            data={"login": login, "password": password, "csrf_token": csrf_of(page.text)},
        )
        if response.status_code == 303:
            home = self.http.get("/", follow_redirects=True)
            self.csrf = csrf_of(home.text)
        return response

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.csrf, **(data or {})})

    def close(self) -> None:
        self.http.close()


@contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium with a fresh profile, driven by selenium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="alice-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(Path(profile) / "downloads"),
            "download.prompt_for_download": False,
        },
    )
    # An explicit chromedriver: selenium-manager never looks for (or downloads) one.
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
