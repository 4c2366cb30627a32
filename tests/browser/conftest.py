"""Browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright's own driver;
no browser is ever downloaded. Screenshots go to test-output/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class Console:
    """What the pages a test opened wrote to the browser console. Any console error or uncaught
    exception fails the test at teardown, except a response the test provokes on purpose and
    declares with `expect_status` (a wrong query code answers 404, a stale form 409): Chromium
    logs every 4xx/5xx response as a console error, wanted or not."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[tuple[int, str]] = []

    def expect_status(self, status: int, path: str) -> None:
        self.expected.append((status, path))

    def watch(self, page) -> None:
        page.on("console", lambda msg: self._console(page, msg))
        page.on("pageerror", lambda exc: self.errors.append(f"页面脚本异常 {page.url}: {exc}"))

    def _console(self, page, msg) -> None:
        if msg.type != "error":
            return
        source = msg.location.get("url", "") if msg.location else ""
        for status, path in self.expected:
            if f"status of {status} " in msg.text and urlsplit(source).path.endswith(path):
                return
        self.errors.append(f"{page.url}: {msg.text} （来源 {source}）")


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser, console):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.on("page", console.watch)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert not console.errors, "浏览器控制台报错：\n" + "\n".join(console.errors)


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
