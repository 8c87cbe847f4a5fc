"""alice-console in a real headless Chromium, against a real console process and
a real Alice: the operator onboards "Smith Insurance Agency" and edits its
greeting; its tenant admin logs in, sees only Smith, finds a caller, exports
and erases them (the erased caller's context is then empty over gRPC); a
suspended tenant's admin cannot log in; and hostile text stored by a tenant is
shown literally, never run. Screenshots go to the artefacts directory."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from alice_server.auth import mint_platform_token
from chad_client import AliceClient
from chad_client.models import TranscriptTurn
from tests.support.console import artifacts_dir, chromium, running_console

PASSWORD = "a long enough passphrase"
PAYLOAD = '<script>window.__pwned=1</script>"onmouseover="window.__pwned=2" <b>bold</b>'


@pytest.fixture(scope="module")
def console(alice, secret):
    with running_console(alice.address, secret) as console:
        yield console


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def shots():
    return artifacts_dir("console")


@pytest.fixture
async def alice_client(alice, secret):
    async with AliceClient(alice.address, secret=secret) as client:
        yield client


def _number() -> str:
    return f"+1555{secrets.randbelow(10**7):07d}"


class Page:
    """The browser at the console: small helpers that read like the scenario."""

    def __init__(self, driver, url: str, shots: Path) -> None:
        self.driver = driver
        self.url = url
        self.shots = shots

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)

    def fill(self, name: str, value: str, form: str | None = None) -> None:
        scope = self.driver.find_element(By.ID, form) if form else self.driver
        field = scope.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def click(self, css: str) -> None:
        """Click, and wait for the page it leads to (every click here navigates)."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.CSS_SELECTOR, css).click()

        def arrived(driver) -> bool:
            # While the old document is torn down, chromium answers a query about
            # its nodes with either a stale-element error or an "unhandled
            # inspector error: Node ... does not belong to the document"; both
            # mean the old page is gone. The new one counts once it has loaded.
            try:
                old.is_enabled()
                return False
            except WebDriverException:
                pass
            try:
                return bool(driver.execute_script("return document.readyState") == "complete")
            except WebDriverException:
                return False

        WebDriverWait(self.driver, 30).until(arrived)

    def text(self, css: str = "main") -> str:
        return str(self.driver.find_element(By.CSS_SELECTOR, css).text)

    def path(self) -> str:
        return str(self.driver.current_url)[len(self.url) :]

    def log_in(self, login: str, password: str = PASSWORD) -> None:
        self.driver.delete_all_cookies()
        self.open("/login")
        self.fill("login", login)
        self.fill("password", password)
        self.click("form button[type=submit]")

    def shot(self, name: str) -> None:
        self.driver.save_screenshot(str(self.shots / f"{name}.png"))

    def nothing_ran(self) -> None:
        assert self.driver.execute_script("return window.__pwned === undefined")
        assert self.driver.find_elements(By.CSS_SELECTOR, "main script") == []
        assert (
            self.driver.execute_script(
                "return document.querySelectorAll('[onmouseover], main b').length"
            )
            == 0
        )


async def test_operator_onboards_smith_and_its_admin_exports_and_erases_a_caller(
    alice, secret, console, browser, shots, alice_client
):
    platform = alice_client.platform(token=mint_platform_token(secret))
    operator = f"operator-{secrets.token_hex(3)}"
    await platform.create_console_user(operator, PasswordHasher().hash(PASSWORD), role="operator")
    page = Page(browser, console.url, shots)
    admin = f"smith-admin-{secrets.token_hex(3)}"
    twilio = _number()

    def onboard() -> int:
        page.log_in(operator)
        assert page.path() == "/tenants", page.text()
        page.shot("operator-tenants")
        page.click("a.button[href='/tenants/new']")
        page.fill("business_name", "Smith Insurance Agency")
        page.fill("agent_name", "Sarah")
        page.fill("twilio_number", twilio)
        page.fill("time_zone", "America/Chicago")
        page.click("main form button[type=submit]")
        assert page.text("#business-name") == "Smith Insurance Agency"
        customer_id = int(page.path().split("/")[2])
        page.fill(
            "greeting_template",
            "{time_greeting}, you have reached {business_name}, this is {agent_name}.",
            form="profile",
        )
        page.click("#profile button[type=submit]")
        assert "Saved." in page.text()
        greeting = page.text("#greeting-new")
        assert "you have reached Smith Insurance Agency, this is Sarah." in greeting
        page.fill("login", admin, form="new-admin")
        page.fill("password", PASSWORD, form="new-admin")
        page.click("#new-admin button[type=submit]")
        assert "Tenant admin created." in page.text() and admin in page.text()
        page.shot("operator-tenant")
        page.open("/tenants?q=smith+insurance&status=active")
        assert "Smith Insurance Agency" in page.text("#tenants")
        page.open("/tenants?q=smith+insurance&status=suspended")
        assert str(customer_id) not in [
            row.text.split()[0]
            for row in browser.find_elements(By.CSS_SELECTOR, "#tenants tbody tr")
        ]
        return customer_id

    customer_id = await asyncio.to_thread(onboard)
    customer = await platform.get_customer(customer_id)
    assert customer.greeting_template.startswith("{time_greeting}, you have reached")

    # A few calls of two callers, stored as the voice agent would.
    tenant = alice_client.for_customer(customer_id)
    dana, lee = _number(), _number()
    for caller, name, words in (
        (dana, "Dana", "I would like to add my son to my auto policy"),
        (lee, "Lee", "my basement flooded, I need to file a claim"),
    ):
        call_id = f"CA-{secrets.token_hex(4)}"
        await tenant.append_transcript_turns(
            caller,
            call_id,
            [
                TranscriptTurn(0, "caller", f"Hi, this is {name}, {words}."),
                TranscriptTurn(1, "agent", "Of course, let me help."),
            ],
        )
        await tenant.process_call(caller, call_id)
        await tenant.update_caller_profile(caller, preferred_name=name)
        await tenant.store_memory(caller, "preference", "contact_time", {"value": "mornings"})
    await alice.server.usage.flush()  # the RPC counts of the usage charts

    def usage_charts() -> None:
        page.open(f"/tenants/{customer_id}/usage?days=30")
        assert "2 calls" in page.text("#totals") and "2 new callers" in page.text("#totals")
        assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart")) == 5
        page.shot("operator-usage")

    await asyncio.to_thread(usage_charts)

    downloads = Path(browser.capabilities["chrome"]["userDataDir"]) / "downloads"
    browser.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )

    def tenant_admin() -> None:
        page.log_in(admin)
        assert page.path() == f"/customers/{customer_id}/callers"
        assert page.text("#tenant-name") == "Smith Insurance Agency"
        listed = page.text("#callers")
        assert dana in listed and lee in listed
        page.shot("tenant-callers")
        # Only Smith: the operator pages and another customer's pages are closed.
        for path in ("/tenants", "/audit", f"/customers/{customer_id - 1}/callers"):
            page.open(path)
            assert "Forbidden" in page.text("h1"), path
        # Find Dana by her number as people write it.
        page.open(f"/customers/{customer_id}/callers")
        local = f"({dana[2:5]}) {dana[5:8]}-{dana[8:]}"
        page.fill("q", local)
        page.click("form.filters button")
        rows = browser.find_elements(By.CSS_SELECTOR, "#callers tbody tr")
        assert len(rows) == 1 and dana in rows[0].text
        page.click("#callers tbody tr a")
        assert page.text("#caller") == "Dana"
        assert "add my son" in page.text("#transcript")
        assert "contact_time" in page.text("#memories")
        page.shot("tenant-caller")
        browser.find_element(By.ID, "export").click()  # a download: the page stays
        deadline = time.monotonic() + 30
        while not list(downloads.glob("caller-*.json")) and time.monotonic() < deadline:
            time.sleep(0.2)
        exported = json.loads(next(downloads.glob("caller-*.json")).read_text())
        assert exported["user_id"] == dana
        tables = {row["table"] for row in exported["rows"]}
        assert {"caller_profiles", "memories", "call_summaries"} <= tables
        # Erase, with a typed confirmation.
        page.click("#erase")
        page.fill("confirm", lee)
        page.click("#erase-confirm")
        assert "Type the caller's number exactly" in page.text(".error")
        page.fill("confirm", dana)
        page.shot("tenant-erase")
        page.click("#erase-confirm")
        assert page.text("#erased") == f"{dana} was erased"
        page.open(f"/customers/{customer_id}/audit")
        audit = page.text("#audit")
        assert "delete_user_data" in audit and "export_user_data" in audit
        page.open(f"/customers/{customer_id}/callers")
        assert dana not in page.text("#callers") and lee in page.text("#callers")

    await asyncio.to_thread(tenant_admin)
    context = await tenant.get_enriched_context(dana)
    assert context.is_new_caller and context.memories == [] and context.summaries == []
    assert context.profile is None and context.personality is None
    assert "new caller" in context.text and "Dana" not in context.text

    def suspend_and_refuse() -> None:
        page.log_in(operator)
        page.open(f"/tenants/{customer_id}")
        page.click("#suspend")
        assert page.text("#tenant-status") == "suspended"
        page.log_in(admin)
        assert page.path() == "/login"
        assert "suspended" in page.text(".error")
        page.shot("tenant-suspended-login")

    await asyncio.to_thread(suspend_and_refuse)


async def test_hostile_text_of_a_tenant_is_shown_literally_and_never_run(
    alice, secret, console, browser, shots, alice_client
):
    platform = alice_client.platform(token=mint_platform_token(secret))
    customer = await platform.create_customer(
        PAYLOAD, agent_name=PAYLOAD, greeting_template=PAYLOAD
    )
    tenant = alice_client.for_customer(customer.id)
    caller = _number()
    call_id = f"CA-{secrets.token_hex(4)}"
    await tenant.append_transcript_turns(
        caller,
        call_id,
        [
            TranscriptTurn(0, "caller", f"My name is {PAYLOAD} and I need help."),
            TranscriptTurn(1, "agent", PAYLOAD),
        ],
    )
    await tenant.process_call(caller, call_id)
    await tenant.update_caller_profile(
        caller, preferred_name=PAYLOAD, preferences={PAYLOAD: PAYLOAD}
    )
    await tenant.store_memory(caller, "fact", PAYLOAD, {"note": PAYLOAD})
    operator = f"operator-{secrets.token_hex(3)}"
    admin = f"hostile-admin-{secrets.token_hex(3)}"
    hashed = PasswordHasher().hash(PASSWORD)
    await platform.create_console_user(operator, hashed, role="operator")
    await platform.create_console_user(admin, hashed, role="tenant_admin", customer_id=customer.id)
    page = Page(browser, console.url, shots)

    def visit() -> None:
        page.log_in(operator)
        for path in ("/tenants", f"/tenants/{customer.id}", f"/tenants/{customer.id}/usage"):
            page.open(path)
            page.nothing_ran()
        page.open(f"/tenants/{customer.id}")
        assert page.text("#business-name") == PAYLOAD
        assert PAYLOAD in page.text("#greeting-new")
        page.log_in(admin)
        from urllib.parse import quote

        for path in (
            f"/customers/{customer.id}/callers",
            f"/customers/{customer.id}/settings",
            f"/customers/{customer.id}/callers/{quote(caller, safe='')}",
        ):
            page.open(path)
            page.nothing_ran()
            assert page.text("#tenant-name") == PAYLOAD
        shown = page.text("main")
        assert f"My name is {PAYLOAD}" in page.text("#transcript")
        assert PAYLOAD in page.text("#caller") and PAYLOAD in page.text("#memories")
        assert shown.count("<script>") >= 4
        # Hovering over the text runs nothing either.
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(browser).move_to_element(browser.find_element(By.ID, "caller")).perform()
        page.nothing_ran()
        page.shot("escaping")

    await asyncio.to_thread(visit)
