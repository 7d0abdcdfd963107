"""Page noise: things that change between requests or versions but are not policy.

The texts are data (``data/site/noise.yaml``, which says what changes from one version to the
next); this module reads them once, checked, into the names the renderer uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

NOISE = Path(__file__).parent / "data" / "site" / "noise.yaml"
VERSIONS = (1, 2, 3)

Links = tuple[tuple[str, str], ...]


def _links(value: Any, where: str) -> Links:
    if not isinstance(value, list) or not all(
        isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
        for item in value
    ):
        raise ValueError(f"{NOISE}: {where} must be a list of [label, path] pairs")
    return tuple((label, path) for label, path in value)


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(x, str) for x in value):
        raise ValueError(f"{NOISE}: {where} must be a non-empty list of texts")
    return tuple(value)


def _per_version(data: dict[str, Any], key: str) -> dict[int, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or sorted(value) != list(VERSIONS):
        raise ValueError(f"{NOISE}: {key} must have an entry for each of versions 1, 2 and 3")
    return value


def _load() -> dict[str, Any]:
    data = yaml.safe_load(NOISE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{NOISE}: expected a mapping of the noise's parts")
    return data


_DATA = _load()
NAV_LINKS: dict[int, Links] = {
    v: _links(links, f"nav_links {v}") for v, links in _per_version(_DATA, "nav_links").items()
}
COOKIE_BANNER: dict[int, str] = {
    v: str(text) for v, text in _per_version(_DATA, "cookie_banner").items()
}
PROMOS: dict[int, tuple[str, ...]] = {
    v: _texts(promos, f"promos {v}") for v, promos in _per_version(_DATA, "promos").items()
}
FOOTER_LINKS: Links = _links(_DATA.get("footer_links"), "footer_links")
FEEDBACK_PROMPT: str = str(_DATA.get("feedback_prompt", ""))
