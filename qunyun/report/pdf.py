"""HTML → PDF with the Chromium the project installs (Debian's `chromium`, via Playwright).

The page is loaded from a file with no network (the report is self-contained) and printed
on A4 with its backgrounds. A missing browser is one line saying how to install it.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


class PdfUnavailable(RuntimeError):
    """No Chromium (or no Playwright) to print with."""


def chromium_path() -> str | None:
    for candidate in (os.environ.get("QUNYUN_CHROMIUM"), "/usr/bin/chromium",
                      shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def html_to_pdf(html: Path, pdf: Path, *, timeout_s: float = 60, settle_ms: int = 0) -> Path:
    """Print `html` to `pdf`; `settle_ms` lets scripted charts finish drawing first.

    Playwright's sync API refuses to run on a thread with an event loop (the live bot's),
    so the printing always runs on a worker thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print, html, pdf, timeout_s, settle_ms).result()


def _print(html: Path, pdf: Path, timeout_s: float, settle_ms: int) -> Path:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise PdfUnavailable("需要 Playwright（./dev.sh setup 会安装） / "
                             "Playwright is not installed") from exc
    browser_path = chromium_path()
    if browser_path is None:
        raise PdfUnavailable("找不到 Chromium：请安装 Debian 的 chromium（./dev.sh setup） / "
                             "no Chromium found")
    tmp = pdf.with_name(f".{pdf.name}.tmp")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            try:
                page = browser.new_page()
                page.goto(html.resolve().as_uri(), wait_until="load",
                          timeout=timeout_s * 1000)
                if settle_ms:
                    page.wait_for_timeout(settle_ms)
                page.pdf(path=str(tmp), format="A4", print_background=True,
                         margin={"top": "14mm", "bottom": "14mm", "left": "12mm",
                                 "right": "12mm"})
            finally:
                browser.close()
    except PlaywrightError as exc:
        tmp.unlink(missing_ok=True)
        raise PdfUnavailable(f"Chromium 打印 PDF 失败 / printing failed: {exc}") from exc
    os.replace(tmp, pdf)
    return pdf
