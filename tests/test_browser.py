"""Headless-Chromium check of every page of the built book (``_build/html``).

Serves the book on 127.0.0.1 and, on every page, checks: an ``h1`` is visible;
MathJax typeset every formula with no error and no raw ``$$`` or ``\\begin``
left in the text; every image loaded and has alt text; no Traceback in any
output; no request left 127.0.0.1 and none failed (the favicon included); no
JavaScript error and no console error (e.g. "invalid theme mode"); every slider
changes what it shows when moved; at 1280 px and at 400 px, no display equation
is wider than its container unless the container scrolls sideways, and no
equation number sits on its formula; at 400 px the ☰ button opens the chapter
menu and the "Contents" button the page's contents; there is one search box; every page's
sidebar links the index (genindex.html) relatively, and the link opens it. No
execution logs are published. Needs Debian's ``/usr/bin/chromium`` and a built
book (``make book-strict``).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html"))
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
SKIP_DIRS = {"_static", "_sources", "_images", "_sphinx_design_static"}

if not (HTML / "index.html").exists():
    pytest.fail(f"no built book at {HTML}: run `make book-strict` (or `make test`) first", pytrace=False)
if not Path(CHROMIUM).exists():
    pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (`apt-get install chromium`)", pytrace=False)

from playwright.sync_api import sync_playwright  # noqa: E402


def _redirect_target(path: Path) -> str | None:
    m = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', path.read_text(errors="replace")[:2000])
    return m.group(1) if m else None


def pages() -> list[str]:
    """Every HTML page of the book except redirects (checked in test_redirects)."""
    found = []
    for p in sorted(HTML.rglob("*.html")):
        rel = p.relative_to(HTML)
        if rel.parts[0] in SKIP_DIRS or _redirect_target(p):
            continue
        found.append(rel.as_posix())
    return found


def test_book_has_every_chapter_of_the_toc():
    toc = (ROOT / "_toc.yml").read_text()
    wanted = [f + ".html" for f in re.findall(r"(?:root|file):\s*(\S+)", toc)]
    if HTML != ROOT / "_build" / "html":
        pytest.skip("BOOK_HTML points at another book")
    missing = [w for w in wanted if w not in pages()]
    assert not missing, f"chapters in _toc.yml without a page: {missing}"


def test_redirects_point_at_pages():
    for p in HTML.glob("*.html"):
        target = _redirect_target(p)
        if target:
            assert (p.parent / target).exists(), f"{p.name} redirects to missing {target}"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_Quiet, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
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
        yield b
        b.close()


# Runs in the page: the state of every check that reads the DOM.
_INSPECT = """() => {
  const visible = el => !!(el && el.offsetParent !== null && el.getBoundingClientRect().height > 0);
  const h1 = Array.from(document.querySelectorAll('h1')).some(visible);
  const maths = Array.from(document.querySelectorAll('.math'));
  const untypeset = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80));
  const merrors = Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
    .map(e => e.textContent.slice(0, 80));
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .math').forEach(e => e.remove());
  const text = clone.innerText || clone.textContent;
  const raw = [];
  for (const pat of ['$$', '\\\\begin{', '\\\\frac', '\\\\mathbb']) { if (text.includes(pat)) raw.push(pat); }
  const brokenImages = Array.from(document.images)
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => (i.currentSrc || i.src).slice(0, 80));
  const outputs = Array.from(document.querySelectorAll('.cell_output, .output'));
  const tracebacks = outputs.filter(o => /Traceback/.test(o.textContent)).length;
  const noAlt = Array.from(document.images)
    .filter(i => !(i.getAttribute('alt') || '').trim() || /\\.(png|jpe?g|svg|gif)$/i.test(i.getAttribute('alt').trim()))
    .map(i => (i.getAttribute('src') || '').slice(0, 80));
  const searchBoxes = Array.from(document.querySelectorAll('.search-button-field, form.bd-search, input[type=search]'))
    .filter(visible).length;
  // What a reader should never see: an equation label typed as text ("Eq. (spread)"), a raw MyST
  // role or glue placeholder, NumPy scalar reprs or a kernel's temporary file path in an output.
  const all = main.innerText || main.textContent;
  const typedEq = (all.match(/\\bEqs?\\.\\s*\\((?![\\d.,\\s\\u2013-]+\\))[^)\\n]{1,40}\\)/gi) || []).slice(0, 5);
  const myst = (text.match(/\\{(eval|glue|glue:text|cite|cite:p|cite:t|term|eq|ref|numref)\\}`/g) || []).slice(0, 5);
  const outText = outputs.map(o => o.innerText || o.textContent).join('\\n');
  const reprs = (outText.match(/\\bnp\\.(float|int|uint|bool)\\w*\\([^)]*\\)/g) || []).slice(0, 5);
  const paths = (outText.match(/\\/tmp\\/\\S+|ipykernel_\\d+\\/\\d+\\.py/g) || []).slice(0, 5);
  return {h1, nmath: maths.length, untypeset, merrors, raw, brokenImages, tracebacks, noAlt, searchBoxes,
          typedEq, myst, reprs, paths, sliders: document.querySelectorAll('.gencore-slider').length};
}"""

# Runs in the page: display equations wider than their container that do not scroll,
# and equation numbers that overlap their formula.
_EQUATIONS = """() => {
  const clipped = [], overlapping = [];
  document.querySelectorAll('mjx-container[display="true"]').forEach(c => {
    const svg = c.querySelector('svg');
    if (!svg || c.offsetParent === null) return;
    const label = (c.closest('.math') || c).id || (c.textContent || '').slice(0, 40);
    const content = svg.getBoundingClientRect().width;
    const box = c.getBoundingClientRect();
    const parent = c.parentElement.getBoundingClientRect();
    const ox = getComputedStyle(c).overflowX;
    const scrolls = (ox === 'auto' || ox === 'scroll') && c.scrollWidth > c.clientWidth - 1;
    // A formula that would fit the column but scrolls (its number took the room) reads as clipped.
    const column = (c.closest('div.math') || c.parentElement).getBoundingClientRect().width;
    const overflows = (ox === 'auto' || ox === 'scroll') && c.scrollWidth > c.clientWidth + 1;
    const needlessScroll = overflows && content <= column + 1;
    if ((content > c.clientWidth + 1 && !scrolls) || box.width > parent.width + 1 || needlessScroll) {
      clipped.push(`${label}: ${Math.round(content)} px in ${Math.round(c.clientWidth)} px`);
    }
    const eqno = c.parentElement.querySelector(':scope > .eqno');
    if (eqno) {
      const n = eqno.getBoundingClientRect();
      const visibleRight = Math.min(box.right, svg.getBoundingClientRect().right);
      const beside = n.top < box.bottom - 1 && n.bottom > box.top + 1;  // not wrapped below it
      if (beside && n.left < visibleRight - 1 && n.right > box.left + 1) overlapping.push(label);
    }
  });
  return {clipped, overlapping};
}"""

# Runs in the page: move every slider and report whether its image changed.
_SLIDE = """() => {
  const results = [];
  document.querySelectorAll('.gencore-slider').forEach((root, si) => {
    const img = root.querySelector('img');
    root.querySelectorAll('input[type=range]').forEach((input, ii) => {
      const before = img.src;
      const v = +input.value, max = +input.max;
      input.value = String(v === max ? 0 : max);
      input.dispatchEvent(new Event('input', {bubbles: true}));
      results.push({slider: si, input: ii, changed: img.src !== before});
    });
  });
  return results;
}"""


@pytest.mark.parametrize("page_path", pages())
def test_page(page_path, server, browser):
    page = browser.new_page()
    outside, failed, js_errors = [], [], []

    def on_request(req):
        url = urlparse(req.url)
        if url.scheme in ("data", "blob", "about"):
            return
        if url.hostname != "127.0.0.1":
            outside.append(req.url)

    page.on("request", on_request)
    page.on("requestfailed", lambda req: failed.append(req.url))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda err: js_errors.append(str(err)))
    page.on("console", lambda msg: msg.type == "error" and js_errors.append(f"console: {msg.text}"))
    page.goto(f"{server}/{page_path}", wait_until="load")
    page.evaluate("() => (window.MathJax && MathJax.startup && MathJax.startup.promise) || null")
    page.wait_for_timeout(100)
    state = page.evaluate(_INSPECT)
    slides = page.evaluate(_SLIDE)
    page.close()

    assert state["h1"], f"{page_path}: no visible h1"
    assert not state["untypeset"], f"{page_path}: formulas MathJax did not typeset: {state['untypeset'][:5]}"
    assert not state["merrors"], f"{page_path}: MathJax errors: {state['merrors'][:5]}"
    assert not state["raw"], f"{page_path}: raw TeX left in the text: {state['raw']}"
    assert not state["brokenImages"], f"{page_path}: images that did not load: {state['brokenImages'][:5]}"
    assert not state["noAlt"], f"{page_path}: images without alt text (or a file name as alt): {state['noAlt'][:5]}"
    if page_path != "search.html":  # the search page's own form is the page
        assert state["searchBoxes"] <= 1, f"{page_path}: {state['searchBoxes']} search boxes visible, want one"
    assert state["tracebacks"] == 0, f"{page_path}: {state['tracebacks']} outputs show a Traceback"
    assert not state["typedEq"], (
        f"{page_path}: equation labels typed as text (not {{eq}} references): {state['typedEq']}"
    )
    assert not state["myst"], f"{page_path}: raw MyST roles in the text: {state['myst']}"
    assert not state["reprs"], f"{page_path}: NumPy reprs in outputs (format the number): {state['reprs']}"
    assert not state["paths"], f"{page_path}: temporary file paths in outputs (a leaked warning?): {state['paths']}"
    assert not outside, f"{page_path}: requests left 127.0.0.1: {outside[:5]}"
    assert not failed, f"{page_path}: failed requests: {failed[:5]}"
    assert not js_errors, f"{page_path}: JavaScript errors: {js_errors[:5]}"
    assert len(slides) >= state["sliders"], f"{page_path}: a slider has no range input"
    stuck = [s for s in slides if not s["changed"]]
    assert not stuck, f"{page_path}: sliders that did not change their image when moved: {stuck}"


def _open(browser, server, page_path, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{server}/{page_path}", wait_until="load")
    page.evaluate("() => (window.MathJax && MathJax.startup && MathJax.startup.promise) || null")
    page.wait_for_timeout(100)
    return page


# Runs in the page: does the page itself scroll sideways, and which elements stick out of the
# viewport (not counting those inside a container that scrolls sideways on its own)?
_SIDEWAYS = r"""() => {
  const doc = document.documentElement, vw = doc.clientWidth;
  const scrollsItself = el => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const ox = getComputedStyle(p).overflowX; if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true; }
    return false; };
  const out = [];
  document.querySelectorAll('main *').forEach(el => {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 1 && !scrollsItself(el) && el.offsetParent !== null) {
      const name = `${el.tagName.toLowerCase()}.${(el.className || '').toString().split(' ')[0]}`;
      out.push(`${name}: right edge ${Math.round(r.right)} px "${(el.textContent || '').trim().slice(0, 40)}"`);
    }
  });
  return {pageScrolls: doc.scrollWidth > vw + 1, scrollWidth: doc.scrollWidth, vw, out: out.slice(0, 5)};
}"""

# Runs in the page: table cells whose number wraps ("9.20 ± 0.20" over three lines).
_WRAPPED_NUMBERS = r"""() => {
  const out = [];
  document.querySelectorAll('main td').forEach(td => {
    const t = (td.innerText || '').trim();
    if (!/^[-+\u2212]?[\d.,]+\s*±\s*[\d.,]+\s*%?$/.test(t)) return;
    const lh = parseFloat(getComputedStyle(td).lineHeight) || 20;
    const pad = parseFloat(getComputedStyle(td).paddingTop || 0) + parseFloat(getComputedStyle(td).paddingBottom || 0);
    if (td.getBoundingClientRect().height > 1.8 * lh + pad) out.push(t);
  });
  return out.slice(0, 5);
}"""


@pytest.mark.parametrize("width", [1280, 400])
@pytest.mark.parametrize("page_path", pages())
def test_no_sideways_scrolling(page_path, width, server, browser):
    """Long inline code or a wide output must not make the whole page scroll sideways."""
    page = _open(browser, server, page_path, width)
    side = page.evaluate(_SIDEWAYS)
    wrapped = page.evaluate(_WRAPPED_NUMBERS)
    page.close()
    assert not side["pageScrolls"] and not side["out"], (
        f"{page_path} at {width} px: the page is {side['scrollWidth']} px wide in a {side['vw']} px window; "
        f"sticking out: {side['out']}"
    )
    assert not wrapped, f"{page_path} at {width} px: table numbers wrapped over lines: {wrapped}"


@pytest.mark.parametrize("width", [1280, 400])
@pytest.mark.parametrize("page_path", pages())
def test_equations_fit_or_scroll(page_path, width, server, browser):
    page = _open(browser, server, page_path, width)
    eqs = page.evaluate(_EQUATIONS)
    page.close()
    assert not eqs["clipped"], f"{page_path} at {width} px: equations clipped (wider, no scrollbar): {eqs['clipped']}"
    assert not eqs["overlapping"], f"{page_path} at {width} px: equation numbers on the formula: {eqs['overlapping']}"


def test_menus_open_on_a_phone(server, browser):
    """At 400 px the article header's ☰ opens the chapter menu and "Contents" the page's contents."""
    chapters_pages = [p for p in pages() if p.startswith("book/") and not p.endswith("intro.html")]
    page_path = chapters_pages[0] if chapters_pages else pages()[0]
    page = _open(browser, server, page_path, 400)
    chapters = page.locator("nav.bd-docs-nav").first
    assert not chapters.is_visible(), "the chapter menu is open before ☰ is clicked"
    page.locator(".bd-header-article .primary-toggle").click()
    page.wait_for_timeout(400)
    assert chapters.is_visible(), "clicking ☰ at 400 px did not open the chapter menu"
    assert page.locator("nav.bd-docs-nav a.reference").first.is_visible()
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    toc = page.locator("nav.page-toc").first
    assert not toc.is_visible(), "the page contents are open before 'Contents' is clicked"
    page.locator(".bd-header-article .secondary-toggle").click()
    page.wait_for_timeout(400)
    assert toc.is_visible(), "clicking 'Contents' at 400 px did not open the page's contents"
    page.close()


def test_menu_button_hides_the_sidebar_on_a_desktop(server, browser):
    page = _open(browser, server, pages()[0], 1280)
    sidebar = page.locator("#pst-primary-sidebar")
    assert sidebar.is_visible()
    page.locator(".bd-header-article .primary-toggle").click()
    page.wait_for_timeout(500)
    assert not sidebar.is_visible(), "clicking ☰ at 1280 px did not hide the sidebar"
    page.close()


def test_every_page_links_the_index():
    """Every page's sidebar links the index (genindex.html) by a relative path that resolves to it,
    so the link works offline and in a moved build; the index lists every glossary term."""
    index = HTML / "genindex.html"
    assert index.exists(), "no genindex.html in the built book"
    for page_path in pages():
        m = re.search(r'class="bd-links book-index-link".*?href="([^"]+)"', (HTML / page_path).read_text(), re.S)
        assert m, f"{page_path}: no index link in the sidebar (book/_templates/book-index-link.html)"
        href = urlparse(m.group(1))
        assert not href.scheme and not href.path.startswith("/"), f"{page_path}: index link {m.group(1)} not relative"
        target = ((HTML / page_path).parent / href.path).resolve() if href.path else (HTML / page_path).resolve()
        assert target == index.resolve(), f"{page_path}: index link {m.group(1)} leads to {target}, not genindex.html"
    terms = set(re.findall(r'id="(term-[^"]+)"', (HTML / "book" / "glossary.html").read_text()))
    listed = set(re.findall(r'glossary\.html#(term-[^"]+)"', index.read_text()))
    assert terms, "the glossary page defines no terms"
    assert terms <= listed, f"glossary terms missing from the index: {sorted(terms - listed)[:5]}"


@pytest.mark.parametrize("width", [1280, 400])
def test_sidebar_index_link_opens_the_index(width, server, browser):
    """From a chapter, the sidebar's "Index" (behind ☰ on a phone) is visible and opens the index."""
    chapters = [p for p in pages() if p.startswith("book/") and not p.endswith("intro.html")]
    page = _open(browser, server, chapters[0] if chapters else pages()[0], width)
    if width < 960:
        page.locator(".bd-header-article .primary-toggle").click()
        page.wait_for_timeout(400)
    link = page.locator(".book-index-link a")
    assert link.is_visible(), f"at {width} px the sidebar's Index link is not visible"
    link.click()
    page.wait_for_load_state("load")
    assert page.url.endswith("/genindex.html"), f"the Index link led to {page.url}"
    assert page.locator("article h1").first.inner_text().strip() == "Index"
    page.close()


def test_no_execution_logs_are_published():
    logs = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.err.log"))
    assert not logs, f"execution logs (with local paths) inside the published HTML: {logs}"
