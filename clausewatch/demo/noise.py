"""Page noise: things that change between requests or versions but are not policy.

v1 and v2 share the nav order and promo pool; v3 changes only noise relative
to v2: cookie banner text, promo pool and nav link order.
"""

from __future__ import annotations

_NAV_DEFAULT = (
    ("Products", "/products"),
    ("Pricing", "/pricing"),
    ("Research", "/research"),
    ("Blog", "/blog"),
    ("Careers", "/careers"),
    ("Legal", "/"),
)
_NAV_REORDERED = (
    ("Research", "/research"),
    ("Legal", "/"),
    ("Products", "/products"),
    ("Careers", "/careers"),
    ("Blog", "/blog"),
    ("Pricing", "/pricing"),
)
NAV_LINKS: dict[int, tuple[tuple[str, str], ...]] = {
    1: _NAV_DEFAULT,
    2: _NAV_DEFAULT,
    3: _NAV_REORDERED,
}

COOKIE_BANNER: dict[int, str] = {
    1: (
        "We use cookies to keep you signed in, remember your preferences and "
        "understand how our site is used. You can accept all cookies or reject "
        "the non-essential ones."
    ),
    2: (
        "Northwind AI and our partners use cookies and similar technologies to run "
        "this site, measure traffic and personalize content. Choose Accept to allow "
        "all cookies or Reject to allow only essential ones."
    ),
    3: (
        "Cookies help us run this site and make it better. Essential cookies are "
        "always on; analytics cookies are set only if you say yes."
    ),
}

_PROMOS_A = (
    "New: Northwind Canvas lets your team draft, edit and review documents "
    "together with the assistant.",
    "Northwind Voice is now on iOS and Android. Talk to the assistant hands-free.",
    "Join our live webinar on building reliable agents with the Northwind API.",
    "Students get Northwind Plus at half price. Verify your school email.",
    "On the research blog: how we evaluate long-context reasoning.",
)
_PROMOS_B = (
    "Introducing Northwind Teams: shared projects, admin controls and single sign-on.",
    "Northwind Desktop for macOS and Windows is here. Download it today.",
    "Our developer conference, Northwind Build, returns this autumn. Save a seat.",
    "Try the new spreadsheet integration to analyze data in plain English.",
    "We are hiring engineers and researchers in four offices. See open roles.",
)
PROMOS: dict[int, tuple[str, ...]] = {1: _PROMOS_A, 2: _PROMOS_A, 3: _PROMOS_B}

FOOTER_LINKS = (
    ("Privacy", "/privacy"),
    ("Terms", "/terms"),
    ("Acceptable Use", "/acceptable-use"),
    ("Cookies", "/cookies"),
    ("Security", "/security"),
    ("Status", "/status"),
    ("Contact", "/contact"),
)

FEEDBACK_PROMPT = (
    "Was this page helpful? Tell us what we could explain more clearly and our "
    "legal team will take a look."
)
