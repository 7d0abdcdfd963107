"""Small builders shared by tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clausewatch.record import Capture, Target
from storage.models import DocumentRef

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def page(*paragraphs: str, title: str = "Privacy Policy", noise: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body>"
        f"<nav><a href='/?n={noise}'>Home</a></nav>"
        f"<div id='cookie-banner'>We use cookies {noise}</div>"
        f"<main><h1>{title}</h1>{body}</main><footer>Generated {noise}</footer></body></html>"
    ).encode()


def target(doc: str = "acme-privacy", select: tuple[str, ...] = ()) -> Target:
    ref = DocumentRef(
        id=doc,
        entity="Acme",
        title="Acme Privacy",
        type="privacy policy",
        url=f"https://acme.example/{doc}",
    )
    return Target(ref=ref, select=select)


def capture(body: bytes, minutes: int = 0) -> Capture:
    return Capture(
        url="https://acme.example/privacy",
        captured_at=T0 + timedelta(minutes=minutes),
        source="import",
        body=body,
    )


def soup_part(kind: int, tag: str, attrs: str, text: str) -> str:
    """One piece of generated tag soup: an opening tag, a closing tag, text, or an element."""
    if kind == 0:
        return f"<{tag}{attrs}>"
    if kind == 1:
        return f"</{tag}>"
    if kind == 2:
        return text
    return f"<{tag}{attrs}>{text}</{tag}>"
