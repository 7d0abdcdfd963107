"""The one settings object: typed, documented from its fields, a bad value failing at start."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clausewatch import settings as settings_module
from clausewatch.cli import app
from clausewatch.errors import InputError, SettingsError
from clausewatch.pipeline.record import record_capture
from clausewatch.settings import FALSE, TRUE, Settings, markdown_table, settings, variable
from clausewatch.storage.store import open_store
from tests.helpers import capture, page, target

ROOT = Path(__file__).resolve().parent.parent
SWITCHES = ("allow_private_urls", "events_cosmetic", "wayback")
SECRET = "whsec_" + "S" * 32


def test_the_readme_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- settings:begin -->\n(.*?)<!-- settings:end -->", readme, re.S)
    assert found, "README.md has no <!-- settings:begin --> ... <!-- settings:end --> block"
    assert found.group(1) == markdown_table(), (
        "the README's settings table is stale: paste clausewatch.settings.markdown_table()"
    )


def test_every_field_is_documented() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"{variable(name)} has no description"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "maybe"),
        ("CLAUSEWATCH_EVENTS_COSMETIC", "sometimes"),
        ("CLAUSEWATCH_WAYBACK", "offf"),
        ("CLAUSEWATCH_FETCH_FAILURES", "two"),
        ("CLAUSEWATCH_WAYBACK_POLL_INTERVAL", "abc"),
        ("CLAUSEWATCH_WAYBACK_POLL_INTERVAL", "nan"),
        ("CLAUSEWATCH_SCREENSHOT", "everything"),
        # regression: any instance name was taken, making events' source "urn:clausewatch:"
        ("CLAUSEWATCH_INSTANCE", ""),
        ("CLAUSEWATCH_INSTANCE", "bad inst/<>"),
        # regression: any text was sent to Save Page Now, which then refused every submission
        ("CLAUSEWATCH_WAYBACK_IF_NOT_ARCHIVED_WITHIN", "yesterday"),
        ("CLAUSEWATCH_WAYBACK_IF_NOT_ARCHIVED_WITHIN", "1x"),
        ("CLAUSEWATCH_WAYBACK_IF_NOT_ARCHIVED_WITHIN", "-5"),
    ],
)
def test_a_bad_value_fails_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"^{name}=") as error:
        settings()
    assert isinstance(error.value, InputError) and isinstance(error.value, ValueError)
    assert repr(value) in str(error.value) or repr(value.strip()) in str(error.value)


def test_a_bad_switch_says_what_it_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "maybe")
    with pytest.raises(SettingsError) as error:
        settings()
    assert all(spelling in str(error.value) for spelling in (*TRUE, *FALSE))


@pytest.mark.parametrize("field", SWITCHES)
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[(v, True) for v in ("1", "on", "true", "yes", "ON", "True", "YES", " on ", "1\n")],
        *[(v, False) for v in ("0", "off", "false", "no", "OFF", "False", "No", " off")],
    ],
)
def test_every_spelling_of_a_switch_accepted_before_still_is(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str, expected: bool
) -> None:
    monkeypatch.setenv(variable(field), value)
    assert getattr(settings(), field) is expected


@pytest.mark.parametrize("field", SWITCHES)
def test_an_empty_switch_is_its_default(monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    monkeypatch.setenv(variable(field), "")
    assert getattr(settings(), field) is Settings.model_fields[field].default
    monkeypatch.delenv(variable(field))
    assert getattr(settings(), field) is Settings.model_fields[field].default


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS", raising=False)
    s = settings()
    assert (s.allow_private_urls, s.events_cosmetic, s.wayback) == (False, False, True)
    assert (s.fetch_failures, s.wayback_poll_interval, s.screenshot) == (2, 5.0, "viewport")
    assert (s.instance, s.wayback_url, s.wayback_if_not_archived_within) == (
        "default",
        "https://web.archive.org",
        "1d",
    )


def test_a_change_to_the_environment_takes_effect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEWATCH_INSTANCE", "one")
    assert settings().instance == "one"
    monkeypatch.setenv("CLAUSEWATCH_INSTANCE", "two")
    assert settings().instance == "two"


def test_the_secret_never_appears_in_repr_or_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", SECRET)
    s = settings()
    assert s.webhook_secret is not None and s.webhook_secret.get_secret_value() == SECRET
    for text in (repr(s), str(s), s.model_dump_json(), repr(s.model_dump())):
        assert SECRET not in text and "S" * 32 not in text


def test_a_bad_value_fails_the_cli_at_start_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLAUSEWATCH_ALLOW_PRIVATE_URLS", "maybe")
    missing = tmp_path / "nothing-here"
    result = CliRunner().invoke(app, ["verify", "--store", str(missing)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: CLAUSEWATCH_ALLOW_PRIVATE_URLS='maybe'")
    assert "Traceback" not in result.output and result.exception is not None
    assert not missing.exists()


def test_a_commands_help_still_shows_with_a_bad_value(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: the check ran before the command parsed --help, so help was refused too."""
    monkeypatch.setenv("CLAUSEWATCH_WAYBACK", "maybe")
    result = CliRunner().invoke(app, ["verify", "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output, result.output


def test_no_other_module_reads_a_clausewatch_variable() -> None:
    """Only clausewatch/settings.py reads ``CLAUSEWATCH_*`` from the environment."""
    read = re.compile(
        r"""(?:environ\.get|getenv|environ\.setdefault)\(\s*['"]CLAUSEWATCH_"""
        r"""|environ\[\s*['"]CLAUSEWATCH_[A-Z_]*['"]\s*\](?!\s*=[^=])"""
        r"""|envvar\s*=\s*['"]CLAUSEWATCH_"""  # an option read by Typer, past the settings
    )
    offenders = []
    for folder in ("clausewatch", "storage", "extractors", "flows"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == Path(settings_module.__file__):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if read.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("value", ["120", "1d", "3d 5h 20m", "  2h   30m "])
def test_a_save_page_now_time_span_is_taken(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLAUSEWATCH_WAYBACK_IF_NOT_ARCHIVED_WITHIN", value)
    assert settings().wayback_if_not_archived_within == " ".join(value.split())


@pytest.mark.parametrize("secret", ["whsec_!!!", "whsec_", "whsec_Q"])
def test_an_unusable_webhook_secret_fails_at_start_without_its_value(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    """Regression: a bad CLAUSEWATCH_WEBHOOK_SECRET was only found when a delivery began."""
    monkeypatch.setenv("CLAUSEWATCH_WEBHOOK_SECRET", secret)
    with pytest.raises(
        SettingsError, match=r"^CLAUSEWATCH_WEBHOOK_SECRET is not a usable"
    ) as error:
        settings()
    key = secret.removeprefix("whsec_")
    assert not key or key not in str(error.value)


def test_settings_are_built_again_only_when_a_variable_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Building them costs milliseconds and an import asks once per event (1.5 s of a
    corpus import's 5.9 s of recording, by profile, before they were kept)."""
    monkeypatch.setenv("CLAUSEWATCH_FETCH_FAILURES", "3")
    first = settings()
    assert settings() is first and first.fetch_failures == 3
    monkeypatch.setenv("CLAUSEWATCH_FETCH_FAILURES", "4")
    assert settings().fetch_failures == 4  # at once
    monkeypatch.setenv("UNRELATED_VARIABLE", "x")
    assert settings() is settings()
    monkeypatch.setenv("CLAUSEWATCH_FETCH_FAILURES", "many")
    with pytest.raises(SettingsError, match="CLAUSEWATCH_FETCH_FAILURES"):
        settings()  # a bad value is never kept: it fails every time
    with pytest.raises(SettingsError):
        settings()


def test_the_store_comes_from_the_option_then_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--store`` wins over ``CLAUSEWATCH_STORE``, which is read through the settings."""
    for doc in ("doc-one", "doc-two"):
        store = open_store(str(tmp_path / doc))
        record_capture(store, target(doc), capture(page("We keep your data for a year.")))
    runner = CliRunner()
    monkeypatch.setenv("CLAUSEWATCH_STORE", str(tmp_path / "missing"))
    given = runner.invoke(app, ["history", "doc-one", "--store", str(tmp_path / "doc-one")])
    assert given.exit_code == 0 and "doc-one" in given.stdout, given.output
    monkeypatch.setenv("CLAUSEWATCH_STORE", str(tmp_path / "doc-two"))
    from_settings = runner.invoke(app, ["history", "doc-two"])
    assert from_settings.exit_code == 0 and "doc-two" in from_settings.stdout, from_settings.output
    other = runner.invoke(app, ["history", "doc-one"])
    assert other.exit_code != 0 and "doc-one" in other.stderr


def test_an_empty_store_variable_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CLAUSEWATCH_STORE=`` means ``./archive``, as Typer's envvar took it (found by an
    outside check: it became an empty store URL and an error)."""
    monkeypatch.chdir(tmp_path)
    record_capture(open_store("archive"), target("doc-one"), capture(page("Kept a year.")))
    monkeypatch.setenv("CLAUSEWATCH_STORE", " ")
    assert settings().store == "./archive"
    result = CliRunner().invoke(app, ["history", "doc-one"])
    assert result.exit_code == 0 and "doc-one" in result.stdout, result.output
