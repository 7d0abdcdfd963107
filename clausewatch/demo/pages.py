"""Page content of the demo site: which policy text each page shows per version.

Policy text lives in :mod:`privacy`, :mod:`terms` and :mod:`acceptable_use`;
each module's docstring lists exactly what changes between versions. Page
noise (banner, promo, nav order, ...) lives in :mod:`noise`.
"""

from __future__ import annotations

from collections.abc import Callable

from clausewatch.demo.acceptable_use import acceptable_use_policy
from clausewatch.demo.model import Policy
from clausewatch.demo.privacy import privacy_policy
from clausewatch.demo.terms import terms_of_service

ENTITY = "Northwind AI"
VERSIONS = (1, 2, 3)

_POLICIES: dict[str, Callable[[int], Policy]] = {
    "northwind-privacy": privacy_policy,
    "northwind-terms": terms_of_service,
    "northwind-acceptable-use": acceptable_use_policy,
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


def check_version(version: int) -> None:
    if type(version) is not int or version not in VERSIONS:
        raise ValueError(f"demo site version must be one of {VERSIONS}, got {version!r}")


def policy_for(page_id: str, version: int) -> Policy:
    """Return the policy text of ``page_id`` as of ``version``."""
    check_version(version)
    try:
        build = _POLICIES[page_id]
    except KeyError:
        raise ValueError(f"unknown demo page id {page_id!r}") from None
    return build(version)
