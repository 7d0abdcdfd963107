"""``clausewatch explain``: why a stored version's (or a saved page's) text is what it is.

The page a version was extracted from is read back from the store (verified, as every read),
extracted again with the version's own ``select``/``remove`` and today's extractors, and each
block kept or dropped is listed with the step that dropped it (see :mod:`extractors.trace`).
"""

from __future__ import annotations

from collections.abc import Sequence

from clausewatch.evidence import history
from clausewatch.extractors.explain import Explanation, explain
from clausewatch.extractors.part import fragment_of
from clausewatch.pipeline.reextract import stored_page
from clausewatch.storage.store import Store


def explain_version(
    store: Store,
    document: str,
    version: str | None = None,
    select: Sequence[str] | None = None,
    remove: Sequence[str] | None = None,
) -> tuple[str, int, Explanation]:
    """The explanation of a stored version (the latest by default): its manifest hash, its
    number and what extraction makes of its page today. ``select``/``remove`` replace the
    version's own, to try a catalog fix before making it."""
    mh, manifest = history.find_version(store, document, version)
    page, content_type = stored_page(store, manifest)
    info = manifest.extraction
    found = explain(
        page,
        select=info.select if select is None else select,
        remove=info.remove if remove is None else remove,
        content_type=content_type,
        part=fragment_of(manifest.document.url),
    )
    return mh, manifest.version, found


_INDENT = " " * 24


def explanation_text(found: Explanation, *, clauses: bool = False) -> str:
    """An explanation for a person: where the text was found, what was dropped and why."""
    lines = []
    if found.error:
        lines.append(f"not extractable: {found.error}")
    kept_chars = sum(len(c.text) for c in found.clauses)
    lines.append(
        f"kept {len(found.clauses)} clause(s), {kept_chars:,} characters"
        + (f", from {' and '.join(found.roots)}" if found.roots else "")
        + (f" (method {found.method})" if found.method else "")
        + (f", language {found.language}" if found.language else "")
    )
    lines.extend(f"part: {note}" for note in found.parts)
    for d in found.kept_hidden:
        lines.append(f"  hidden, kept {d.chars:>7,}  {d.where}\n{_INDENT}{d.reason}: {d.text!r}")
    dropped_chars = sum(d.chars for d in found.dropped)
    lines.append(f"dropped {len(found.dropped)} block(s), {dropped_chars:,} characters:")
    for d in found.dropped:
        lines.append(f"  {d.step:<12} {d.chars:>7,}  {d.where}\n{_INDENT}{d.reason}: {d.text!r}")
    if found.not_text:
        counted = ", ".join(f"{n} {tag}" for tag, n in sorted(found.not_text.items()))
        lines.append(f"never text: {counted}")
    for index, spans in found.volatile:
        folded = ", ".join(repr(s) for s in spans)
        lines.append(f"volatile: clause {index + 1} keeps {folded}, folded out of the substance")
    if clauses:
        lines.append("clauses:")
        lines.extend(f"  {i + 1:>4}  {c.kind:<9}  {c.text}" for i, c in enumerate(found.clauses))
    return "\n".join(lines)
