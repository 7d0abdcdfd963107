"""Page content of the demo site: which policy text each page shows per version.

The policy text lives in ``data/*.yaml``, one file per document; each file's header
comment lists exactly what changes between versions. Page noise (banner, promo, nav
order, ...) lives in :mod:`noise`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from clausewatch.demo.model import Block, Bullets, Paragraph, Policy, Section, Subheading, Table

ENTITY = "Northwind AI"
VERSIONS = (1, 2, 3)
DATA = Path(__file__).parent / "data"

_FILES: dict[str, str] = {
    "northwind-privacy": "privacy.yaml",
    "northwind-terms": "terms.yaml",
    "northwind-acceptable-use": "acceptable-use.yaml",
}

# Small pages for every link target, so that no link on the site is a 404.
STUB_PAGES: dict[str, str] = {
    "/contact": "Contact Northwind AI",
    "/cookies": "Cookie Notice",
    "/security": "Security at Northwind AI",
    "/settings/data-controls": "Account Settings: Data Controls",
    "/settings/billing": "Billing Settings",
    "/docs/rate-limits": "API Rate Limits",
    "/products": "Products",
    "/pricing": "Pricing",
    "/research": "Research",
    "/blog": "Blog",
    "/careers": "Careers",
    "/status": "System Status",
}


class DemoDataError(ValueError):
    """A demo data file is missing or malformed; the message names the file."""


def check_version(version: int) -> None:
    if type(version) is not int or version not in VERSIONS:
        raise ValueError(f"demo site version must be one of {VERSIONS}, got {version!r}")


def policy_for(page_id: str, version: int) -> Policy:
    """Return the policy text of ``page_id`` as of ``version``."""
    check_version(version)
    try:
        name = _FILES[page_id]
    except KeyError:
        raise ValueError(f"unknown demo page id {page_id!r}") from None
    return _load_cached(DATA / name)[version]


@cache
def _load_cached(path: Path) -> dict[int, Policy]:
    return load_document(path)


def load_document(path: Path) -> dict[int, Policy]:
    """Every site version's :class:`Policy` from one data file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return _Builder(data).policies()
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as e:
        detail = f"missing key {e}" if isinstance(e, KeyError) else str(e)
        raise DemoDataError(f"demo data file {path}: {detail}") from e


class _Builder:
    """Resolves one document's YAML (see the comments in any ``data/*.yaml``)."""

    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise ValueError("expected a mapping at the top level")
        self.data = data
        self.versions: dict[int, dict[str, Any]] = data["versions"]
        if sorted(self.versions) != list(VERSIONS):
            raise ValueError(f"versions must be {VERSIONS}, got {sorted(self.versions)}")

    def policies(self) -> dict[int, Policy]:
        return {v: self._policy(self._text_version(v)) for v in VERSIONS}

    def _text_version(self, version: int) -> int:
        seen = [version]
        while "same_as" in self.versions[version]:
            version = self.versions[version]["same_as"]
            if version in seen or version not in self.versions:
                raise ValueError(f"same_as of version {seen[0]} does not lead to a text")
            seen.append(version)
        return version

    def _policy(self, tv: int) -> Policy:
        spec = self.versions[tv]
        sections = [self._section(s, tv) for s in self.data["sections"]]
        deferred = [
            s for s, raw in zip(sections, self.data["sections"], strict=True) if raw.get("deferred")
        ]
        if len(deferred) != 1:
            raise ValueError(f"expected one section with deferred: true, got {len(deferred)}")
        served = {s.id: s for s in sections if s is not deferred[0]}
        order = spec.get("order", list(served))
        if sorted(order) != sorted(served):
            raise ValueError(f"version {tv}: order {order} does not match {sorted(served)}")
        before = self.data["deferred_before"]
        if before not in served:
            raise ValueError(f"deferred_before {before!r} is not a section id")
        return Policy(
            heading=_str(self.data["heading"]),
            last_updated=_str(spec["last_updated"]),
            intro=tuple(self._block(b, tv) for b in self.data["intro"]),
            sections=tuple(served[i] for i in order),
            deferred=deferred[0],
            deferred_before=before,
        )

    def _section(self, raw: dict[str, Any], tv: int) -> Section:
        blocks = tuple(self._block(b, tv) for b in raw["blocks"])
        return Section(id=_str(raw["id"]), heading=_str(raw["heading"]), blocks=blocks)

    def _block(self, raw: dict[str, Any], tv: int) -> Block:
        if not isinstance(raw, dict) or len(raw) != 1:
            raise ValueError(f"a block is one of p, h3, ul, table; got {raw!r}")
        [(kind, value)] = raw.items()
        if kind == "p":
            if isinstance(value, dict):  # the paragraph reads differently per version
                value = value[tv]
            return Paragraph(_str(value))
        if kind == "h3":
            return Subheading(_str(value))
        if kind == "ul":
            return Bullets(tuple(_str(item) for item in value))
        if kind == "table":
            header = tuple(_str(c) for c in value["header"])
            rows = tuple(tuple(_str(c) for c in row) for row in value["rows"])
            for row in rows:  # an unquoted comma in [a, b] makes an extra cell
                if len(row) != len(header):
                    raise ValueError(f"table row {list(row)} does not have {len(header)} cells")
            return Table(header, rows)
        raise ValueError(f"unknown block type {kind!r} (expected p, h3, ul or table)")


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value
