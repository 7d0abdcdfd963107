"""Dates shown in the visitor's time zone: every date of a version one day off the last one's.

A page that renders timestamps in the reader's time zone (a change log of "24 Feb 2022",
"24 Nov 2021", ...) shows each of them a day earlier or later when the capture runs from
another zone or at another hour: all its dates move together, by the same one day, and no
other word changes. An edit of the terms does not look like that: it changes words, or one
date ("effective 1 March" to "2 March"), not every date of a list the same way. Pure.

Dates are read in the forms policy pages use, in en, fr, de, es, it, nl and pt: "24 Feb 2022",
"24. Februar 2022", "24 de febrero de 2022", "February 24, 2022" and ISO "2022-02-24".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

from clausewatch.extractors import Clause

# At least this many dates must move, all by the same day: one or two dates moving by a day
# is what an edit of an effective date looks like.
MIN_SHIFTED = 3

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    [
        "january jan janvier janv januar jän enero ene gennaio gen januari janeiro",
        "february feb fevrier fevr fev februar febrero febbraio febr februari fevereiro",
        "march mar mars marz marzo maart marco",
        "april apr avril abril aprile avr",
        "may mai mayo maggio mag mei maio",
        "june jun juin juni junio giugno giu junho",
        "july jul juillet juil juli julio luglio lug julho",
        "august aug aout august agosto ago augustus",
        "september sep sept septembre settembre set septiembre setembro",
        "october oct octobre oktober okt octubre ottobre ott oktober outubro out",
        "november nov novembre noviembre novembro",
        "december dec decembre dezember dez diciembre dic dicembre december dezembro",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_MONTH = r"(?P<{g}>[^\W\d_]{{3,10}})\.?"
_DAY_FIRST = re.compile(
    r"\b(?P<d>[0-3]?\d)(?:\.|er|º)?\s+(?:de\s+)?" + _MONTH.format(g="m") + r"\s+(?:de\s+)?"
    r"(?P<y>(?:19|20)\d\d)\b"
)
_MONTH_FIRST = re.compile(
    r"\b" + _MONTH.format(g="m") + r"\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b"
)
_ISO = re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")
_PLACEHOLDER = "\x00date\x00"


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _date(match: re.Match[str]) -> dt.date | None:
    month_text = match.group("m")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(_fold(month_text))
    if month is None:
        return None
    try:
        return dt.date(int(match.group("y")), month, int(match.group("d")))
    except ValueError:
        return None


def dates_and_rest(text: str) -> tuple[list[dt.date], str]:
    """The dates ``text`` shows, in order, and its text with each date replaced by one marker.

    >>> dates_and_rest("Updated 24 févr. 2022, then March 3, 2023.")
    ([datetime.date(2022, 2, 24), datetime.date(2023, 3, 3)], 'Updated \\x00date\\x00, then \\x00date\\x00.')
    """
    spans: list[tuple[int, int, int, dt.date]] = []  # start, order of the form, end, date
    for order, pattern in enumerate((_DAY_FIRST, _MONTH_FIRST, _ISO)):
        for match in pattern.finditer(text):
            date = _date(match)
            if date is not None:
                spans.append((match.start(), order, match.end(), date))
    spans.sort()
    found: list[tuple[int, int, dt.date]] = []
    for start, _, end, date in spans:
        if found and start < found[-1][1]:
            continue  # overlaps a date already read (one pass: the spans are sorted)
        found.append((start, end, date))
    rest, last = [], 0
    for start, end, _ in found:
        rest.append(text[last:start])
        rest.append(_PLACEHOLDER)
        last = end
    rest.append(text[last:])
    return [date for _, _, date in found], "".join(rest)


def shifted_a_day(old: Sequence[Clause], new: Sequence[Clause]) -> bool:
    """Whether ``new`` differs from ``old`` only in dates, every date of each clause that
    differs moved, all by the same single day, and at least :data:`MIN_SHIFTED` different
    dates moved: the same instants shown in another time zone. One date repeated ("from 1
    March", "until 1 March") counts once: an edit of an effective date is not a time zone."""
    if len(old) != len(new):
        return False
    moves: set[int] = set()
    moved: set[dt.date] = set()
    for a, b in zip(old, new, strict=True):
        if a == b:
            continue
        if (a.kind, a.level) != (b.kind, b.level) or len(a.path) != len(b.path):
            return False
        for a_text, b_text in zip((a.text, *a.path), (b.text, *b.path), strict=True):
            if a_text == b_text:
                continue
            a_dates, a_rest = dates_and_rest(a_text)
            b_dates, b_rest = dates_and_rest(b_text)
            if a_rest != b_rest or len(a_dates) != len(b_dates):
                return False
            for before, after in zip(a_dates, b_dates, strict=True):
                days = (after - before).days
                if abs(days) != 1:
                    return False  # a date that kept its day, or moved by more
                moves.add(days)
                moved.add(before)
    return len(moves) == 1 and len(moved) >= MIN_SHIFTED
