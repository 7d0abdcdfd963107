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
from pathlib import Path

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

# The page's style and scripts are files beside the policy texts: ``deferred.js`` builds the
# deferred policy section from the JSON data block, 300 ms after DOMContentLoaded, and inserts
# it into <main>'s article; ``clock.js`` ticks the header's clock; ``cookie.js`` closes the
# cookie banner.
_ASSETS = Path(__file__).parent / "data" / "site"
_CSS = (_ASSETS / "site.css").read_text(encoding="utf-8")
_SCRIPTS = tuple(
    (_ASSETS / name).read_text(encoding="utf-8")
    for name in ("deferred.js", "clock.js", "cookie.js")
)


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
        f"<title>{_esc(title)}</title>\n<style>\n{_CSS}</style>\n</head>"
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
    scripts = "".join(f"<script>\n{js}</script>\n" for js in _SCRIPTS)
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
