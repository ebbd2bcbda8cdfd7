"""The built HTML book in a real browser, offline, the way a reader sees it.

Every page of ``book/_build/html`` is served from 127.0.0.1 and opened in headless Chromium (Debian's
``chromium``, driven by Playwright) with every other request aborted, so a page that needs a CDN fails. Per page:
no console errors or failed requests, every image loaded, every formula typeset by MathJax, and nothing wider
than the viewport at 1280 px and 390 px unless it sits in a scroll container. Then the search page must find a
word from chapter 5. Skips when the book is not built, Playwright is missing or there is no Chromium.
"""

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
WIDTHS = (1280, 390)
SEARCH_WORD = "icicles"
"""A word the search must find in chapter 5 (05_results_regressions)."""
SEARCH_PAGE = "chapters/05_results_regressions.html"

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright)")
pytestmark = [
    pytest.mark.look,
    pytest.mark.skipif(not (HTML / "index.html").exists(), reason="no built HTML book: run `make html` first"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (Debian package chromium)"),
]
REFRESH = re.compile(r'http-equiv="refresh"[^>]*url=(?P<url>[^"]+)"', re.IGNORECASE)
NOT_PAGES = ("_static/", "_sources/", "_images/", "mathjax/")
"""Folders of support files: the theme's template snippets there are not pages."""
PAGES = (
    sorted(
        path
        for path in (p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html"))
        if not path.startswith(NOT_PAGES)
    )
    if HTML.exists()
    else []
)

OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const scrolls = el => {
    for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
  };
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden' || st.position === 'fixed') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    // content (a long word, a wide image) sticking out of a box that does not clip it
    const spill = st.overflowX === 'visible' ? Math.max(0, el.scrollWidth - el.clientWidth) : 0;
    if (r.right + spill <= vw + 1 && r.left >= -1) continue;
    if (scrolls(el)) continue;
    bad.push(el);
  }
  // name the innermost culprits (a box is flagged too when only its content spills out)
  const innermost = bad.filter(el => !bad.some(other => other !== el && el.contains(other)));
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  return innermost.slice(0, 10).map(el => {
    const r = el.getBoundingClientRect();
    const spill = Math.max(0, el.scrollWidth - el.clientWidth);
    return `${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right + spill)} px`;
  });
}"""

IMAGES_JS = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  return imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'));
}"""

MATH_JS = """async () => {
  const maths = Array.from(document.querySelectorAll('.math'));
  if (!maths.length) return {count: 0, raw: [], errors: 0};
  if (!window.MathJax || !MathJax.startup) return {count: maths.length, raw: ['MathJax not loaded'], errors: 0};
  await MathJax.startup.promise;
  const raw = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60));
  return {count: maths.length, raw: raw, errors: document.querySelectorAll('mjx-merror').length};
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def open_page(browser, server, page_path: str, width: int):
    """A page at the given width with the network cut off; returns (page, problems list filled as it loads)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
    problems: list[str] = []

    def route(r):
        if r.request.url.startswith(server) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            problems.append(f"network request blocked: {r.request.url}")
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    forward = REFRESH.search((HTML / page_path.split("?")[0]).read_text(encoding="utf-8", errors="replace"))
    page.goto(server + page_path, wait_until="load")
    if forward:  # index.html forwards to the front page: check the page the reader lands on
        page.wait_for_url("**/" + forward["url"].split("/")[-1], wait_until="load")
    return page, problems


@pytest.mark.parametrize("page_path", PAGES)
def test_page_renders_offline(browser, server, page_path):
    found = []
    for width in WIDTHS:
        page, problems = open_page(browser, server, page_path, width)
        try:
            broken = page.evaluate(IMAGES_JS)
            math = page.evaluate(MATH_JS)
            page.wait_for_timeout(100)
            overflow = page.evaluate(OVERFLOW_JS)
        finally:
            page.context.close()
        found += [f"{width}px {p}" for p in problems]
        found += [f"{width}px image not loaded: {src}" for src in broken]
        found += [f"{width}px formula not typeset: {raw!r}" for raw in math["raw"]]
        if math["errors"]:
            found.append(f"{width}px {math['errors']} MathJax error(s)")
        found += [f"{width}px wider than the viewport: {o}" for o in overflow]
    assert not found, f"{page_path}:\n" + "\n".join(dict.fromkeys(found))


def test_search_finds_a_word_from_chapter_5(browser, server):
    page, problems = open_page(browser, server, f"search.html?q={SEARCH_WORD}", 1280)
    try:
        page.wait_for_function(
            "() => document.querySelector('#search-results') && "
            "document.querySelector('#search-results').querySelectorAll('li').length > 0",
            timeout=20000,
        )
        links = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.getAttribute('href'))")
    finally:
        page.context.close()
    assert any(SEARCH_PAGE in (href or "") for href in links), f"'{SEARCH_WORD}' not found in chapter 5: {links}"
    assert not problems, "\n".join(problems)


def test_math_is_served_by_the_book():
    assert (HTML / "mathjax" / "tex-mml-chtml.js").exists(), "MathJax is not in the built HTML (html_extra_path)"
