"""The demo's policy texts are data files (clausewatch/demo/data/*.yaml): every document has
every site version, the site serves what the files say, and a broken file is named."""

from __future__ import annotations

import html
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clausewatch.demo import pages
from clausewatch.demo.model import Bullets, Paragraph, Subheading
from clausewatch.demo.pages import DemoDataError, load_document
from clausewatch.demo.site import PAGES, render_page

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_every_document_has_every_version() -> None:
    files = sorted(pages.DATA.glob("*.yaml"))
    assert len(files) == len(PAGES) == 3
    for path in files:
        assert sorted(load_document(path)) == list(pages.VERSIONS), path


@pytest.mark.parametrize("version", pages.VERSIONS)
@pytest.mark.parametrize("page_id", [p.id for p in PAGES])
def test_the_site_serves_the_loaded_text(page_id: str, version: int) -> None:
    policy = pages.policy_for(page_id, version)
    page = render_page(page_id, version, random.Random(0), NOW)
    assert f"<h1>{html.escape(policy.heading)}</h1>" in page
    assert f"Last updated: {html.escape(policy.last_updated)}" in page
    served = [s.id for s in policy.sections]
    positions = [page.index(f'<section id="{i}" class="policy-section">') for i in served]
    assert positions == sorted(positions)  # in the version's order
    for section in policy.sections:
        assert f"<h2>{html.escape(section.heading)}</h2>" in page
        for block in section.blocks:
            if isinstance(block, Subheading):
                assert f"<h3>{html.escape(block.text)}</h3>" in page
            elif isinstance(block, Paragraph) and "](" not in block.text:
                assert f"<p>{html.escape(block.text)}</p>" in page
            elif isinstance(block, Bullets):
                assert "<ul>" in page
    # the deferred section travels as JSON only, not as served HTML
    assert f'<section id="{policy.deferred.id}"' not in page
    assert f'"insert_before": "{policy.deferred_before}"' in page


def test_the_version_differences_are_in_the_data() -> None:
    privacy = {v: pages.policy_for("northwind-privacy", v) for v in pages.VERSIONS}
    terms = {v: pages.policy_for("northwind-terms", v) for v in pages.VERSIONS}
    aup = {v: pages.policy_for("northwind-acceptable-use", v) for v in pages.VERSIONS}
    assert privacy[1] != privacy[2] == privacy[3]
    assert terms[1] != terms[2] == terms[3]
    assert aup[1] == aup[2] == aup[3]
    ids = {v: [s.id for s in privacy[v].sections] for v in (1, 2)}
    assert ids[1] != ids[2] and sorted(ids[1]) == sorted(ids[2])  # a moved section
    changes = {v: next(s for s in terms[v].sections if s.id == "changes") for v in (1, 2)}
    assert "30 days" in str(changes[1]) and "14 days" in str(changes[2])


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("heading: [unclosed\n", "while parsing"),
        ("- just a list\n", "expected a mapping"),
        ("heading: X\n", "missing key 'versions'"),
        ("heading: X\nversions: {1: {last_updated: a}}\n", "versions must be (1, 2, 3)"),
    ],
)
def test_a_malformed_file_is_named(tmp_path: Path, text: str, detail: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(DemoDataError, match=r"broken\.yaml") as info:
        load_document(path)
    assert detail in str(info.value)


def test_a_bad_block_in_a_real_file_is_named(tmp_path: Path) -> None:
    source = (pages.DATA / "privacy.yaml").read_text()
    path = tmp_path / "privacy.yaml"
    # an unquoted comma in a table row makes an extra cell
    path.write_text(source.replace('"7 years, as required by tax law"', "7 years, by tax law"))
    with pytest.raises(DemoDataError, match=r"privacy\.yaml: table row .* does not have 2 cells"):
        load_document(path)
    path.write_text(source.replace("- h3: Model training", "- h4: Model training"))
    with pytest.raises(DemoDataError, match=r"privacy\.yaml: unknown block type 'h4'"):
        load_document(path)


@pytest.mark.parametrize(
    "text",
    [
        "- not a mapping\n",
        "nav_links: {1: [[Home, /]]}\n",  # versions 2 and 3 missing
        "nav_links: {1: [Home], 2: [], 3: []}\n",  # not [label, path] pairs
    ],
)
def test_a_broken_noise_file_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """The site's noise (clausewatch/demo/data/site/noise.yaml) is data too: a broken file is
    named, not a KeyError or TypeError."""
    from clausewatch.demo import noise

    bad = tmp_path / "noise.yaml"
    bad.write_text(text)
    monkeypatch.setattr(noise, "NOISE", bad)
    with pytest.raises(ValueError, match=str(bad)):
        data = noise._load()
        {v: noise._links(x, "nav_links") for v, x in noise._per_version(data, "nav_links").items()}


def test_the_page_style_and_scripts_are_the_files() -> None:
    page = render_page(PAGES[0].id, 1, random.Random(0), NOW)
    site = pages.DATA / "site"
    for name in ("site.css", "deferred.js", "clock.js", "cookie.js"):
        assert (site / name).read_text() in page, name
