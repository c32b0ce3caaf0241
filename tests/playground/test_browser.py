"""The playground page in a real browser: triage by buttons, a /today session, a nudge.

Drives Debian's Chromium through playwright; skipped (with the reason shown) when
/usr/bin/chromium is missing. Saves a full-page screenshot to test-artifacts/playground.png,
and to docs/playground.png when LUMBAR_UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.playground.conftest import Running
from tests.playground.test_server import seed_user

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]

playwright_api = pytest.importorskip("playwright.async_api")


@pytest.fixture
async def page(running: Running) -> AsyncIterator[Any]:
    """A fresh headless Chromium tab on the playground page."""
    async with playwright_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            tab = await browser.new_page(viewport={"width": 1280, "height": 1180})
            errors: list[str] = []
            tab.on("pageerror", lambda error: errors.append(str(error)))
            tab.set_default_timeout(10_000)
            await tab.goto(running.url)
            yield tab
            assert errors == [], f"the page threw: {errors}"
        finally:
            await browser.close()


class ChatDriver:
    """Acts through the page only; waits on the emulator so nothing depends on timing."""

    def __init__(self, running: Running, tab: Any) -> None:
        self.running = running
        self.tab = tab
        self.server = running.playground.server

    async def synced(self) -> None:
        """Wait until the bot is idle and the page shows everything it did."""
        await self.running.settle()
        version = self.server.version
        await self.tab.wait_for_function(
            "v => Number(document.body.dataset.version || 0) >= v", arg=version
        )

    async def after(self, action: Any) -> None:
        """Run a page action that makes one update, then wait until it is answered."""
        before = len(self.server.all_updates)
        await action()
        await self.server.wait_for(
            lambda: len(self.server.all_updates) > before, 10, what="the page's update"
        )
        await self.synced()

    def describe(self) -> str:
        texts = [m.text_or_caption[:70] or f"<{m.kind}>" for m in self.server.chat(1001)]
        return " | ".join(texts[-4:])

    async def press(self, label: str) -> None:
        """Press the newest inline button whose whole label is `label`."""
        exact = re.compile(rf"^\s*{re.escape(label)}\s*$")
        button = self.tab.locator(".msg.in .kb-btn").filter(has_text=exact).last
        assert await button.count(), f"no button {label!r}; chat ends: {self.describe()}"
        await self.after(button.click)

    async def send(self, text: str) -> None:
        """Type into the message box and press Enter."""
        await self.tab.fill("#text", text)
        await self.after(lambda: self.tab.press("#text", "Enter"))

    async def last_bot_text(self) -> str:
        """The text (or caption) of the newest bot message, as shown."""
        return str(await self.tab.locator(".msg.in").last.locator(".text").inner_text())


async def move_clock(chat: ChatDriver, click: Any) -> str:
    """Press a clock control; wait for its answer and for the page to show what followed."""
    await chat.tab.evaluate("() => { document.getElementById('clock-status').textContent = ''; }")
    await click()
    await chat.tab.wait_for_function(
        "() => / · /.test(document.getElementById('clock-status').textContent)"
    )
    await chat.synced()
    return str(await chat.tab.inner_text("#clock-status"))


async def test_triage_today_and_a_nudge_in_the_browser(running: Running, page: Any) -> None:
    chat = ChatDriver(running, page)
    rules = running.playground.services.library.rules

    await chat.after(lambda: page.click("#start-button"))
    assert "Hi Ann" in await chat.last_bot_text()
    assert await page.locator("#composer").is_visible()

    await chat.press("Yes, I'm 16 to 49")
    # The time-zone question offers the location button on the reply keyboard too.
    assert await page.locator("#reply-keyboard .reply-btn").filter(has_text="location").count()
    await chat.send("Berlin")  # the town typed: one step
    for _ in rules.groups:
        await chat.press("None of these")
    await chat.press("2")
    await chat.press("Some weeks")
    await chat.press("✏️ Reminders")  # water too (off until chosen), for the nudge below
    await chat.press("Stretch and water")
    await chat.press("Start my first session")  # the plan's one tap: the first card follows
    assert "Europe/Berlin" in await page.inner_text("#clock-zone")

    cards = 0
    while await page.locator(".msg.in").last.locator(".kb-btn", has_text="Done").count():
        card = page.locator(".msg.in").last
        photo = card.locator("img.photo")
        assert await photo.count() == 1, "an exercise card comes with its picture"
        await photo.evaluate("img => img.decode()")
        assert await photo.evaluate("img => img.naturalWidth") > 100
        await chat.press("✅ Done")
        cards += 1
        assert cards <= 15, f"the session does not end: {chat.describe()}"
    assert cards >= 1, f"/today showed no card: {chat.describe()}"
    summary = page.locator(".msg.in .text").filter(has_text="Session complete")
    assert await summary.count() == 1, f"no session summary: {chat.describe()}"
    assert re.search(r"Streak: 1\b", await summary.inner_text()), await summary.inner_text()
    assert "How does your back feel" in await chat.last_bot_text()
    await chat.press("Better")

    # Today's session is done, so today's stretch nudges stay quiet; tomorrow at 11:00 Berlin
    # time (a default stretch time on workdays) the nudge must arrive.
    await move_clock(chat, lambda: page.click("#advance-day"))
    assert "Tue" in await page.inner_text("#clock-local-date")
    await page.fill("#jump-time", "11:00")
    status = await move_clock(chat, lambda: page.click("#jump-go"))
    assert await page.inner_text("#clock-local-time") == "11:00"
    assert "nudge delivered" in status, status
    nudge_id = await page.locator(".msg.in").last.get_attribute("data-id")
    nudge = page.locator(f'.msg[data-id="{nudge_id}"]')
    assert await nudge.locator(".kb-btn", has_text="Stretch now").count() == 1
    scroll = await page.evaluate(
        "() => { const b = document.getElementById('messages');"
        " return [b.scrollHeight, b.clientHeight, b.scrollTop]; }"
    )
    height, view, top = scroll
    assert height > 2 * view, "the long chat scrolls inside its pane, the page stays put"
    assert height - top - view < 5, "the chat shows the newest message"

    # The nudge's button starts a stretch card right there, like on a phone.
    await chat.press("Stretch now (5 min)")  # bot.coach.plan.stretch_minutes
    assert await nudge.locator(".kb-btn").count() == 0, "the answered nudge loses its buttons"
    stretch_card = page.locator(".msg.in").last
    assert await stretch_card.locator("img.photo").count() == 1
    assert await stretch_card.locator(".kb-btn", has_text="Done").count() == 1
    await stretch_card.locator("img.photo").evaluate("img => img.decode()")
    await chat.synced()

    shot = ROOT / "test-artifacts" / "playground.png"
    shot.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("LUMBAR_UPDATE_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, ROOT / "docs" / "playground.png")

    # The next water nudge is one click away; logging a glass answers with a toast.
    await move_clock(chat, lambda: page.click("#next-nudge"))
    assert "12:00" in await page.inner_text("#clock-local-time")
    await chat.press("💧 I drank a glass")
    await page.wait_for_selector("#toast:not([hidden])")
    assert "Logged!" in await page.inner_text("#toast")


async def test_users_commands_and_safe_formatting_in_the_browser(
    running: Running, page: Any
) -> None:
    chat = ChatDriver(running, page)
    await page.fill("#new-user-name", "Eve <i>")
    await page.click("#add-user button")
    await page.wait_for_function(
        "() => document.getElementById('current-user-name').textContent === 'Eve <i>'"
    )
    await chat.after(lambda: page.click("#start-button"))
    welcome = page.locator(".msg.in .text").last
    assert "Hi Eve <i>!" in await welcome.inner_text()
    assert await welcome.locator("b").count() >= 1, "the bot's <b> shows as bold"
    assert await welcome.locator("i").count() == 0, "a name is never markup"

    sneaky = '<img src=x onerror="window.pwned=1"> <b>hi</b>'
    await chat.send(sneaky)
    mine = page.locator(".msg.out .text").last
    assert await mine.inner_text() == sneaky
    assert await page.locator(".msg.out img, .msg.out b").count() == 0
    assert await page.evaluate("() => window.pwned") is None

    await page.fill("#text", "/he")
    await page.dispatch_event("#text", "input")
    item = page.locator("#command-menu .command-item")
    assert await item.count() == 1 and "/help" in await item.inner_text()
    await chat.after(item.click)
    # /help answers with the commands, then the article's safety notes and sources, then
    # (Eve has not agreed to the check yet) where to begin.
    assert "/start" in await chat.last_bot_text()
    replies = page.locator(".msg.in")
    safety = replies.nth(await replies.count() - 2)
    assert "Exercising safely" in await safety.locator(".text").inner_text()
    commands = replies.nth(await replies.count() - 3)
    assert "/today" in await commands.locator(".text").inner_text()
    assert await commands.locator(".command", has_text="/today").count()

    ann = page.locator(".user-item", has_text="Ann")
    await ann.click()
    await page.wait_for_function(
        "() => document.getElementById('current-user-name').textContent === 'Ann'"
    )
    await page.wait_for_selector("#start-button", state="visible")  # Ann never started
    assert await page.locator(".msg").count() == 0
    eve_id = max(running.playground.server.users)
    help_text = running.playground.server.last_bot_message(eve_id).text or ""
    preview = await page.locator(".user-item", has_text="Eve").locator(".user-preview").inner_text()
    assert preview.rstrip("…") and " ".join(help_text.split()).startswith(preview.rstrip("…"))


async def test_a_day_ahead_in_the_browser_shows_each_nudge_and_counts_them(
    running: Running, page: Any
) -> None:
    # Ann finished the safety check (straight into the database, so this test does not
    # depend on its wording), took her baseline a week ago and did today's session.
    await seed_user(running, 1001, "Europe/Berlin", baseline_days_ago=7, done_today=True)
    await page.reload()
    chat = ChatDriver(running, page)
    await chat.synced()
    await page.wait_for_function(
        "() => document.getElementById('clock-zone').textContent.includes('Europe/Berlin')"
    )
    assert "weekly check-in" in await page.inner_text("#upcoming")

    status = await move_clock(chat, lambda: page.click("#advance-day"))

    assert status == (
        "Moved +1 day · 1 weekly check-in and 4 water nudges delivered; "
        "2 stretch nudges skipped: today's session was already done"
    ), status
    assert await page.inner_text("#clock-local-time") == "09:00"
    assert "Tue" in await page.inner_text("#clock-local-date")
    # Each arrived at its own time, in order, with its own buttons.
    nudges = page.locator(".msg.in").filter(has=page.locator(".kb-btn"))
    shown = []
    for i in range(await nudges.count()):
        message = nudges.nth(i)
        when = (await message.locator(".meta").inner_text())[-5:]
        shown.append((when, await message.locator(".kb-btn").first.inner_text()))
    assert shown[-5:] == [
        ("10:00", "Start (1 minute)"),
        ("12:00", "💧 I drank a glass"),
        ("16:00", "💧 I drank a glass"),
        ("20:00", "💧 I drank a glass"),
        ("08:00", "💧 I drank a glass"),
    ], shown
    upcoming = await page.inner_text("#upcoming")
    assert "stretch nudge" in upcoming and "water nudge" in upcoming, upcoming
    assert "weekly check-in" in upcoming, "next week's check-in is named as one"

    shot = ROOT / "test-artifacts" / "playground-day.png"
    shot.parent.mkdir(exist_ok=True)
    await page.screenshot(path=str(shot), full_page=True)
