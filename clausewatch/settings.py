"""Every ``CLAUSEWATCH_*`` setting, typed, in one place.

:func:`settings` looks at the environment each time it is called, so a change to
``os.environ`` (a test's monkeypatch, the demo's switch) takes effect at once; it builds the
settings again only when a ``CLAUSEWATCH_*`` variable changed (building them takes
milliseconds, and an import asks for them once per event). A value that
cannot be used raises :class:`~clausewatch.errors.SettingsError` naming the variable and what it
accepts; the command line calls :func:`settings` before any work, so a bad value fails at start.

This module imports nothing from clausewatch but :mod:`clausewatch.errors`, so the layers below
(``storage/``) may read their settings here too. The README's settings table is
:func:`markdown_table` (``tests/test_settings.py`` keeps the two in step).
"""

from __future__ import annotations

import math
import os
import re
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from standardwebhooks import Webhook

from clausewatch.errors import SettingsError

PREFIX = "CLAUSEWATCH_"
TRUE = ("1", "on", "true", "yes")
FALSE = ("0", "off", "false", "no")
SCREENSHOT_MODES = ("viewport", "full", "none")
IMPORT_GROUP_MAX = 10_000  # captures per durable sync, at most (also `import --group`'s limit)


def variable(field: str) -> str:
    """The environment variable of a field: ``wayback_url`` is ``CLAUSEWATCH_WAYBACK_URL``."""
    return PREFIX + field.upper()


def _switch(value: Any, info: ValidationInfo) -> Any:
    """The one boolean parser: 1/on/true/yes, 0/off/false/no (any case, spaces around
    ignored); empty means the default."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    if not text:
        field = Settings.model_fields[info.field_name or ""]
        return field.default
    raise ValueError(
        f"{variable(info.field_name or '')}={value!r}: use one of {', '.join(TRUE)} "
        f"or {', '.join(FALSE)}"
    )


def _seconds(value: Any, info: ValidationInfo) -> Any:
    """A number of seconds: finite, from 0.01 to 3600; empty means the default."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return Settings.model_fields[info.field_name or ""].default
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not 0.01 <= number <= 3600:  # also false for nan
        raise ValueError(
            f"{variable(info.field_name or '')}={text!r} is not a number of seconds "
            "from 0.01 to 3600: fix it"
        )
    return number


def _blank_is_default(value: Any, info: ValidationInfo) -> Any:
    """An empty (or all-space) value is the field's default, as it is for a switch."""
    if isinstance(value, str) and not value.strip():
        return Settings.model_fields[info.field_name or ""].default
    return value


def _count(value: Any, info: ValidationInfo) -> Any:
    """A whole number, as Python's ``int()`` reads it."""
    if not isinstance(value, str):
        return value
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"{variable(info.field_name or '')}={value!r} is not a whole number: fix it"
        ) from None


def _screenshot(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, str):
        return value
    mode = value.strip().lower()
    if mode not in SCREENSHOT_MODES:
        raise ValueError(
            f"{variable(info.field_name or '')}={mode!r}: use one of {', '.join(SCREENSHOT_MODES)}"
        )
    return mode


def _base_url(value: Any, info: ValidationInfo) -> Any:
    """Blank means the default, as unset does; no trailing ``/``."""
    if not isinstance(value, str):
        return value
    text = value.strip() or str(Settings.model_fields[info.field_name or ""].default)
    return text.rstrip("/")


Switch = Annotated[bool, BeforeValidator(_switch)]


def _name(value: Any, info: ValidationInfo) -> Any:
    """A name that can stand in a URN (events' ``source`` is ``urn:clausewatch:<name>``)."""
    if not isinstance(value, str):
        return value
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", value):
        raise ValueError(
            f"{variable(info.field_name or '')}={value!r}: use 1-64 letters, digits, '.', '-' "
            "or '_', starting with a letter or digit"
        )
    return value


def _timedelta(value: Any, info: ValidationInfo) -> Any:
    """A Save Page Now time span: seconds (``120``) or parts like ``3d 5h 20m``; empty
    means the default."""
    if not isinstance(value, str):
        return value
    text = " ".join(value.split())
    if not text:
        return Settings.model_fields[info.field_name or ""].default
    if not re.fullmatch(r"\d{1,9}[dhms]?( \d{1,9}[dhms]?)*", text):
        raise ValueError(
            f"{variable(info.field_name or '')}={value!r} is not a time span: use seconds "
            "(120) or days, hours, minutes and seconds (1d, 3d 5h 20m)"
        )
    return text


def usable_webhook_secret(secret: str) -> bool:
    """Whether ``secret`` is a Standard Webhooks secret (``whsec_`` and base64, or bare
    base64) that signs: the one check for the environment's secret and a settings file's."""
    try:
        Webhook(secret)
    except Exception:  # the library's own errors name the secret's value
        return False
    return True


Seconds = Annotated[float, BeforeValidator(_seconds)]
Timedelta = Annotated[str, BeforeValidator(_timedelta)]
Name = Annotated[str, BeforeValidator(_name)]
Count = Annotated[int, BeforeValidator(_count)]
Screenshot = Annotated[str, BeforeValidator(_screenshot)]
BaseUrl = Annotated[str, BeforeValidator(_base_url)]

# The README's "type" column, by field
_KINDS = {
    bool: "on/off",
    float: "number",
    int: "integer",
    str: "text",
}


class Settings(BaseSettings):
    """The ``CLAUSEWATCH_*`` environment; each field's description is its documentation."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        extra="ignore",
        alias_generator=variable,
        populate_by_name=True,
        frozen=True,
    )

    store: Annotated[str, BeforeValidator(_blank_is_default)] = Field(
        default="./archive",
        description="store URL used when `--store` is not given (empty: the default)",
    )
    instance: Name = Field(
        default="default",
        description=(
            "names this instance in events' `source` (`urn:clausewatch:<name>`): 1-64 letters, "
            "digits, `.`, `-`, `_`"
        ),
    )
    allow_private_urls: Switch = Field(
        default=False,
        description=(
            "every connection the browser makes (pages, each redirect hop, sub-resources, "
            "WebSockets, re-fetches) goes through a guarding proxy in-process that refuses "
            "loopback, private and link-local addresses and loopback names (SSRF); service "
            "workers are blocked; WebRTC sends no UDP at all (the browser's temporary profile "
            "sets `webrtc.ip_handling_policy` to `disable_non_proxied_udp`; Chromium 156 ignores "
            "the command-line switch); NAT64, 6to4 and IPv4-compatible IPv6 addresses are judged "
            "by the IPv4 address they carry; `1` allows them (the demo sets it for its 127.0.0.1 "
            "site). The same switch lifts the same refusals for webhook endpoints and "
            "`CLAUSEWATCH_WAYBACK_URL`, and allows Wayback keys over plain http (for test "
            "servers); it never makes a non-public page URL go to Save Page Now. Cost of the "
            "guard, `python scripts/bench_guard.py`: guarded/unguarded pages per second 1.09 "
            "median (0.68-1.18 over 5 interleaved rounds of 24 pages, 2026-12-02, a busy 2-core "
            "machine), i.e. within the noise"
        ),
    )
    screenshot: Screenshot = Field(
        default="viewport",
        description=(
            "the screenshot kept with each version: `viewport` (the first screen), `full` (the "
            "whole page: a 200 KB policy is a 4-5 MB PNG and about 5 s of rasterising per "
            "capture) or `none`"
        ),
    )
    chromium: str | None = Field(
        default=None,
        description=(
            "a Chromium executable to launch instead of Playwright's own or the system's "
            "(unset: Playwright's own, else a system Chromium on the PATH)"
        ),
    )
    events_cosmetic: Switch = Field(
        default=False,
        description="`on` raises `cosmetic` events too",
    )
    fetch_failures: Count = Field(
        default=2,
        description="failed checks in a row before `fetch_failed` (less than 1 counts as 1)",
    )
    import_group: Count = Field(
        default=64,
        ge=1,
        le=IMPORT_GROUP_MAX,
        description=(
            "captures `import` records per durable sync on a local store, 1 to 10000 "
            "(`1`: a sync per write), as `import --group`"
        ),
    )
    index: str | None = Field(
        default=None,
        description=(
            "the search index file (SQLite, derived from the store and rebuilt from it when "
            "lost or stale; unset: one per store URL under `~/.cache/clausewatch/index/`); "
            "`off`: `import` and `run` do not keep it up to date (`search` still does)"
        ),
    )
    webhook_urls: str = Field(
        default="",
        description="webhook endpoints, comma separated (named `hook-<hash of the URL>`)",
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="their Standard Webhooks secret (`whsec_...`); never printed",
    )

    @field_validator("webhook_secret")
    @classmethod
    def _usable_secret(cls, secret: SecretStr | None) -> SecretStr | None:
        if (
            secret is not None
            and secret.get_secret_value()
            and not (usable_webhook_secret(secret.get_secret_value()))
        ):
            raise ValueError(
                f"{variable('webhook_secret')} is not a usable Standard Webhooks secret: "
                "use whsec_ followed by base64"
            )
        return secret

    webhooks_file: str | None = Field(
        default=None,
        description="a YAML file of endpoints, each with its own secret and filters (below)",
    )
    s3_object_lock: str | None = Field(
        default=None,
        description=(
            "`COMPLIANCE:DAYS` or `GOVERNANCE:DAYS`: Object Lock retention on every blob, "
            "manifest, seal and re-extraction record (checked when the S3 store is opened)"
        ),
    )
    wayback: Switch = Field(
        default=True,
        description="`off` stops Wayback submissions (versions are still queued)",
    )
    wayback_url: BaseUrl = Field(
        default="https://web.archive.org",
        description=(
            "Save Page Now base URL (tests point it at a local server); empty means the default"
        ),
    )
    wayback_poll_interval: Seconds = Field(
        default=5.0,
        description=(
            "seconds before the first SPN2 status poll (then ×1.5 each time, 12 polls); "
            "0.01 to 3600, anything else is one error line"
        ),
    )
    wayback_if_not_archived_within: Timedelta = Field(
        default="1d",
        description=(
            "SPN2 `if_not_archived_within`: no new capture if one is that recent "
            "(seconds, or `1d`, `3d 5h 20m`)"
        ),
    )


_built: dict[tuple[tuple[str, str], ...], Settings] = {}  # by the CLAUSEWATCH_* variables


def settings() -> Settings:
    """The settings from the environment now. Raises :class:`SettingsError` naming the
    variable (never a secret's value) for a value that cannot be used."""
    key = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX)))
    found = _built.get(key)
    if found is None:
        try:
            found = Settings()
        except ValidationError as exc:
            raise SettingsError(_message(exc)) from None
        if len(_built) >= 64:  # tests change the environment often: keep the cache small
            _built.clear()
        _built[key] = found
    return found


def _message(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else "?"
        field = name.removeprefix(PREFIX).lower()
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, ValueError):  # our validators' own message names the variable
            problems.append(str(cause))
        elif field == "webhook_secret":
            problems.append(f"{name}: {error['msg']}")
        else:
            problems.append(f"{name}={error['input']!r}: {error['msg']}")
    return "; ".join(problems)


def _kind(name: str) -> str:
    annotation = Settings.model_fields[name].annotation
    if annotation in (SecretStr, SecretStr | None):
        return "secret"
    for type_, kind in _KINDS.items():
        if annotation in (type_, type_ | None):
            return kind
    return str(annotation)


def _default(name: str) -> str:
    value = Settings.model_fields[name].default
    if isinstance(value, bool):
        return "`on`" if value else "`off`"
    if value is None or value == "":
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def markdown_table() -> str:
    """The README's table of settings, from the fields."""
    rows = ["| variable | type | default | description |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{variable(name)}` | {_kind(name)} | {_default(name)} | {description} |")
    return "\n".join(rows) + "\n"
