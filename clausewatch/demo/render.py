"""HTML rendering of the demo pages, including their deliberate page noise.

Noise per request comes from ``rng`` (promo choice, link nonces) and ``now``
(footer timestamp, initial clock text). All text is escaped with
:func:`html.escape`; the deferred section travels as JSON in a
``<script type="application/json">`` block and is inserted by JavaScript.
"""

from __future__ import annotations

import html
import json
import random
import re
from datetime import datetime

from clausewatch.demo import noise
from clausewatch.demo.model import (
    Block,
    Bullets,
    Paragraph,
    Policy,
    Section,
    Subheading,
    Table,
)

Segment = dict[str, str]

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")

_CSS = """
* { box-sizing: border-box; }
body { margin: 0; padding-bottom: 96px; color: #1f2933; background: #f4f6f8;
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
a { color: #1d4ed8; }
.site-header { background: #0f2a44; color: #fff; }
.bar { max-width: 1120px; margin: 0 auto; padding: 14px 24px; display: flex;
  align-items: center; gap: 32px; }
.brand { color: #fff; font-weight: 700; font-size: 1.2rem; text-decoration: none; }
.site-nav { display: flex; gap: 20px; flex: 1; }
.site-nav a { color: #d6e4f0; text-decoration: none; }
.site-clock { color: #9fb6cc; font-size: .9rem; font-variant-numeric: tabular-nums; }
.layout { max-width: 1120px; margin: 32px auto; padding: 0 24px; display: grid;
  grid-template-columns: minmax(0, 1fr) 260px; gap: 32px; align-items: start; }
.policy { background: #fff; padding: 40px 48px; border-radius: 8px;
  box-shadow: 0 1px 3px rgba(0, 0, 0, .08); }
.policy h1 { margin-top: 0; font-size: 2rem; }
.policy-meta { color: #52606d; }
.policy h2 { margin-top: 2rem; padding-top: 1rem; border-top: 1px solid #e4e7eb;
  font-size: 1.35rem; }
.policy h3 { margin-bottom: .25rem; font-size: 1.05rem; }
table { width: 100%; margin: 1rem 0; border-collapse: collapse; }
th, td { padding: 8px 12px; border: 1px solid #d9dee3; text-align: left;
  vertical-align: top; }
th { background: #f0f3f6; }
.promo { position: sticky; top: 24px; padding: 16px 20px; border-radius: 8px;
  background: #fff7e6; border: 1px solid #f5d48a; }
.promo-label { margin: 0 0 .5rem; font-weight: 700; color: #8a5a00; }
.site-footer { background: #1f2933; color: #cbd2d9; font-size: .9rem; }
.site-footer .bar { display: block; padding: 24px; }
.site-footer a { color: #cbd2d9; margin-right: 16px; }
.cookie-banner { position: fixed; left: 0; right: 0; bottom: 0; display: flex;
  gap: 16px; align-items: center; justify-content: center; padding: 16px 24px;
  background: #fff; border-top: 1px solid #d9dee3;
  box-shadow: 0 -2px 8px rgba(0, 0, 0, .1); }
.cookie-banner p { margin: 0; max-width: 720px; }
.cookie-banner button { padding: 8px 16px; border-radius: 4px; cursor: pointer;
  border: 1px solid #0f2a44; background: #0f2a44; color: #fff; }
.cookie-banner button.secondary { background: #fff; color: #0f2a44; }
"""

# Builds the deferred policy section from the JSON data block, 300 ms after
# DOMContentLoaded, and inserts it into <main>'s article.
_DEFERRED_SCRIPT = """
(function () {
  function inline(node, segments) {
    segments.forEach(function (seg) {
      if (seg.href) {
        var a = document.createElement("a");
        a.href = seg.href;
        a.textContent = seg.text;
        node.appendChild(a);
      } else {
        node.appendChild(document.createTextNode(seg.text));
      }
    });
    return node;
  }
  function el(tag, segments) {
    return inline(document.createElement(tag), segments);
  }
  function row(cells, tag) {
    var tr = document.createElement("tr");
    cells.forEach(function (cell) { tr.appendChild(el(tag, [{text: cell}])); });
    return tr;
  }
  function table(b) {
    var t = document.createElement("table");
    var head = t.appendChild(document.createElement("thead"));
    head.appendChild(row(b.header, "th"));
    var body = t.appendChild(document.createElement("tbody"));
    b.rows.forEach(function (r) { body.appendChild(row(r, "td")); });
    return t;
  }
  function block(b) {
    if (b.type === "p") { return el("p", b.segments); }
    if (b.type === "h3") { return el("h3", [{text: b.text}]); }
    if (b.type === "table") { return table(b); }
    var ul = document.createElement("ul");
    b.items.forEach(function (item) { ul.appendChild(el("li", item)); });
    return ul;
  }
  function build(data) {
    var section = document.createElement("section");
    section.id = data.id;
    section.className = "policy-section";
    section.appendChild(el("h2", [{text: data.heading}]));
    data.blocks.forEach(function (b) { section.appendChild(block(b)); });
    return section;
  }
  document.addEventListener("DOMContentLoaded", function () {
    setTimeout(function () {
      var source = document.getElementById("deferred-policy-data");
      var data = JSON.parse(source.textContent);
      var article = document.querySelector("main article");
      var anchor = document.getElementById(data.insert_before);
      article.insertBefore(build(data.section), anchor);
    }, 300);
  });
})();
"""

_CLOCK_SCRIPT = """
(function () {
  var clock = document.getElementById("site-clock");
  setInterval(function () {
    clock.textContent = new Date().toISOString().slice(11, 19) + " UTC";
  }, 1000);
})();
"""

_COOKIE_SCRIPT = """
(function () {
  var banner = document.getElementById("cookie-consent");
  banner.querySelectorAll("button").forEach(function (button) {
    button.addEventListener("click", function () { banner.hidden = true; });
  });
})();
"""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _href(path: str, rng: random.Random) -> str:
    """A link target with a per-request random nonce query string."""
    return f"{path}?ref={rng.getrandbits(48):012x}"


def inline_segments(text: str, rng: random.Random) -> list[Segment]:
    """Split ``[label](/path)`` link markup into text and link segments."""
    segments: list[Segment] = []
    pos = 0
    for match in _LINK.finditer(text):
        if match.start() > pos:
            segments.append({"text": text[pos : match.start()]})
        segments.append({"text": match.group(1), "href": _href(match.group(2), rng)})
        pos = match.end()
    if pos < len(text):
        segments.append({"text": text[pos:]})
    return segments


def _segment_html(segment: Segment) -> str:
    if "href" in segment:
        return f'<a href="{_esc(segment["href"])}">{_esc(segment["text"])}</a>'
    return _esc(segment["text"])


def _inline_html(text: str, rng: random.Random) -> str:
    return "".join(_segment_html(s) for s in inline_segments(text, rng))


def _table_html(table: Table) -> str:
    head = "".join(f"<th>{_esc(cell)}</th>" for cell in table.header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_esc(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _block_html(block: Block, rng: random.Random) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_inline_html(block.text, rng)}</p>"
    if isinstance(block, Subheading):
        return f"<h3>{_esc(block.text)}</h3>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{_inline_html(item, rng)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    return _table_html(block)


def _section_html(section: Section, rng: random.Random) -> str:
    blocks = "\n".join(_block_html(block, rng) for block in section.blocks)
    return (
        f'<section id="{_esc(section.id)}" class="policy-section">\n'
        f"<h2>{_esc(section.heading)}</h2>\n{blocks}\n</section>"
    )


def _block_data(block: Block, rng: random.Random) -> dict[str, object]:
    if isinstance(block, Paragraph):
        return {"type": "p", "segments": inline_segments(block.text, rng)}
    if isinstance(block, Subheading):
        return {"type": "h3", "text": block.text}
    if isinstance(block, Bullets):
        return {"type": "ul", "items": [inline_segments(i, rng) for i in block.items]}
    return {
        "type": "table",
        "header": list(block.header),
        "rows": [list(row) for row in block.rows],
    }


def _deferred_json(policy: Policy, rng: random.Random) -> str:
    """The deferred section as JSON that is safe inside a <script> element."""
    section = policy.deferred
    data = {
        "insert_before": policy.deferred_before,
        "section": {
            "id": section.id,
            "heading": section.heading,
            "blocks": [_block_data(block, rng) for block in section.blocks],
        },
    }
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _article_html(policy: Policy, rng: random.Random) -> str:
    intro = "\n".join(_block_html(block, rng) for block in policy.intro)
    sections = "\n".join(_section_html(s, rng) for s in policy.sections)
    return (
        '<article class="policy" id="policy">\n'
        f"<h1>{_esc(policy.heading)}</h1>\n"
        f'<p class="policy-meta">Last updated: {_esc(policy.last_updated)}</p>\n'
        f"{intro}\n{sections}\n</article>"
    )


def _header_html(version: int, now: datetime) -> str:
    links = "".join(
        f'<a href="{_esc(path)}">{_esc(label)}</a>' for label, path in noise.NAV_LINKS[version]
    )
    clock = now.strftime("%H:%M:%S UTC")
    return (
        '<header class="site-header"><div class="bar">'
        '<a class="brand" href="/">Northwind AI</a>'
        f'<nav class="site-nav" aria-label="Main">{links}</nav>'
        f'<span id="site-clock" class="site-clock">{_esc(clock)}</span>'
        "</div></header>"
    )


def _promo_html(version: int, rng: random.Random) -> str:
    text = rng.choice(noise.PROMOS[version])
    return (
        '<aside class="promo" aria-label="Announcement">'
        '<p class="promo-label">What\'s new</p>'
        f"<p>{_esc(text)}</p>"
        f'<a href="{_esc(_href("/products", rng))}">Learn more</a></aside>'
    )


def _feedback_html() -> str:
    return (
        '<div class="page-feedback" hidden>'
        f"<p>{_esc(noise.FEEDBACK_PROMPT)}</p>"
        '<textarea name="feedback" rows="3"></textarea>'
        '<button type="button">Send feedback</button></div>'
    )


def _cookie_banner_html(version: int) -> str:
    return (
        '<div id="cookie-consent" class="cookie-banner" role="dialog" '
        'aria-label="Cookie consent">'
        f"<p>{_esc(noise.COOKIE_BANNER[version])}</p>"
        '<button type="button">Accept</button>'
        '<button type="button" class="secondary">Reject</button></div>'
    )


def _footer_html(now: datetime) -> str:
    links = "".join(
        f'<a href="{_esc(path)}">{_esc(label)}</a>' for label, path in noise.FOOTER_LINKS
    )
    stamp = now.isoformat(timespec="seconds")
    return (
        '<footer class="site-footer"><div class="bar">'
        f'<nav aria-label="Footer">{links}</nav>'
        f"<p>&copy; {now.year} Northwind AI, Inc. All rights reserved.</p>"
        f"<p>Page generated at {_esc(stamp)}</p>"
        "</div></footer>"
    )


def _head_html(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>"
    )


def render_document(policy: Policy, version: int, rng: random.Random, now: datetime) -> str:
    """Render a full policy page for ``version`` with noise from ``rng``/``now``."""
    main = (
        '<main id="content" class="layout">\n'
        f"{_article_html(policy, rng)}\n{_promo_html(version, rng)}\n"
        f"{_feedback_html()}\n</main>"
    )
    data = (
        '<script type="application/json" id="deferred-policy-data">\n'
        f"{_deferred_json(policy, rng)}\n</script>"
    )
    scripts = "".join(
        f"<script>{js}</script>\n" for js in (_DEFERRED_SCRIPT, _CLOCK_SCRIPT, _COOKIE_SCRIPT)
    )
    return "\n".join(
        (
            _head_html(f"{policy.heading} | Northwind AI"),
            "<body>",
            _header_html(version, now),
            main,
            _footer_html(now),
            _cookie_banner_html(version),
            data,
            scripts + "</body>\n</html>\n",
        )
    )


def render_simple_page(title: str, body_html: str) -> str:
    """A tiny page (index, link targets); ``body_html`` must already be escaped."""
    return (
        f"{_head_html(f'{title} | Northwind AI')}\n<body>\n"
        f'<main class="layout"><article class="policy"><h1>{_esc(title)}</h1>\n'
        f"{body_html}\n</article></main>\n</body>\n</html>\n"
    )
