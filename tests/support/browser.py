"""A real browser for the page tests: Playwright driving Debian's Chromium (installed by scripts/system-packages).

Browsers cannot be downloaded here, so Playwright launches `/usr/bin/chromium` (override with
ARGUS_TEST_CHROMIUM). Screenshots go to var/screenshots/ (the README shows copies from docs/screenshots/).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.paths import ROOT

CHROMIUM = Path(os.environ.get("ARGUS_TEST_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "var" / "screenshots"
CHARTS_JS = ROOT / "static" / "vendor" / "lightweight-charts.standalone.production.js"


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """One headless Chromium for a whole module or session (launching one takes a second or two)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/system-packages (make test runs it)")
    with sync_playwright() as playwright:
        # Chromium runs on the real clock even when the suite runs under libfaketime (a faked or
        # frozen clock stalls its timers); the pages' times come from the server anyway.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], env=env)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageErrors:
    """JavaScript errors of a page: uncaught exceptions and console.error lines (failed loads included)."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda exc: self.messages.append(f"uncaught: {exc}"))
        page.on(
            "response",
            lambda response: (
                self.messages.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
            ),
        )
        page.on(
            "console",
            lambda message: (
                self.messages.append(f"console.{message.type}: {message.text}") if message.type == "error" else None
            ),
        )


def screenshot(page: Any, name: str) -> Path:
    """Save the whole page as var/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
