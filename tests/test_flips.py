"""Values that flip between two renderings are recognised from the document's history (issue 14)."""

from __future__ import annotations

from clausewatch.events import cloudevents as events
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.store import Store
from tests.helpers import capture, target

TERMS = "".join(
    f"<p>Clause {n}: we keep the data you give us for 30 days and delete it when you ask.</p>"
    for n in range(5)
)


def page(day: int, keep: str = "30 days") -> bytes:
    """A policy with a change log whose dates are shown in the visitor's time zone."""
    log = f"<ul><li>Version of {day} Feb 2022</li><li>Version of {day + 4} Oct 2021</li></ul>"
    terms = TERMS.replace("30 days", keep)
    return f"<html><body><main><h1>Terms</h1>{terms}<h2>Changelog</h2>{log}</main></body></html>".encode()


def test_a_value_that_flips_back_is_flapping_once_then_folded(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page(24)))
    first = record_capture(store, t, capture(page(25), 1))
    assert first.change_class == "substantive"  # nothing says yet that it flips
    back = record_capture(store, t, capture(page(24), 2))
    assert (back.change_class, back.changed) == ("reverted", True)  # the words came back
    again = record_capture(store, t, capture(page(25), 3))
    assert (again.change_class, again.changed) == ("flapping", True)
    assert again.event is not None and again.event["type"] == events.FLAPPING
    for minute, day in ((4, 24), (5, 25), (6, 24)):
        folded = record_capture(store, t, capture(page(day), minute))
        assert (folded.change_class, folded.changed, folded.event) == ("cosmetic", False, None)


def test_a_flip_mixed_with_other_words_is_flapping_when_only_the_flip_remains(
    store: Store,
) -> None:
    """Not an exact revert (other words changed in between), but every changed word undoes a
    replacement seen before."""
    t = target()
    record_capture(store, t, capture(page(24)))
    record_capture(store, t, capture(page(25, keep="60 days"), 1))
    out = record_capture(store, t, capture(page(24, keep="60 days"), 2))
    assert (out.change_class, out.changed) == ("flapping", True)


def test_a_real_change_is_never_folded_with_a_flip(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page(24)))
    record_capture(store, t, capture(page(25), 1))
    record_capture(store, t, capture(page(24), 2))
    # the dates flip and the retention period changes: a substantive change
    mixed = record_capture(store, t, capture(page(25, keep="60 days"), 3))
    assert (mixed.change_class, mixed.changed) == ("substantive", True)
    # a new value never seen flipping is a change
    new = record_capture(store, t, capture(page(26, keep="60 days"), 4))
    assert new.change_class == "substantive"


def test_short_clauses_whose_value_flipped_are_paired_in_a_version_that_changed_more(
    store: Store,
) -> None:
    """A change log of one date per item: "30 Sep" / "1 Oct" are too unlike to be paired as a
    modified clause, so they come as removed and added; their flip is still remembered."""

    def log(days: tuple[str, str], extra: str = "") -> bytes:
        items = "".join(f"<li>{d} 2021</li>" for d in days)
        return f"<html><body><main><h1>T</h1>{TERMS}{extra}<ul>{items}</ul></main></body></html>".encode()

    t = target()
    record_capture(store, t, capture(log(("30 Sep", "30 Nov"))))
    mixed = record_capture(store, t, capture(log(("1 Oct", "1 Dec"), "<p>A new clause.</p>"), 1))
    assert mixed.change_class == "substantive"
    back = record_capture(store, t, capture(log(("30 Sep", "30 Nov"), "<p>A new clause.</p>"), 2))
    assert (back.change_class, back.changed) == ("flapping", True)


def test_a_value_seen_flipping_in_one_clause_never_folds_a_change_in_another(
    store: Store,
) -> None:
    """Found by a breaker: flips were remembered as bare word pairs, so a change-log date
    flipping 24 / 25 folded "Backups are kept for 24 months" -> "25 months" as cosmetic."""

    def policy(day: int, backups: int, may: str = "may", share: str = "may") -> bytes:
        body = (
            f"<p>Backups are kept for {backups} months and then erased for good.</p>"
            f"<p>You {may} delete your account from the settings page at any time.</p>"
            f"<p>We {share} share your data with the processors listed below.</p>"
        )
        log = f"<ul><li>Version of {day} Feb 2022</li><li>Earlier version</li><li>First</li></ul>"
        return f"<html><body><main><h1>P</h1>{TERMS}{body}{log}</main></body></html>".encode()

    t = target()
    for minute, day in enumerate((24, 25, 24, 25, 24)):  # the date flips, then is folded
        record_capture(store, t, capture(policy(day, 24), minute))
    retention = record_capture(store, t, capture(policy(24, 25), 5))
    assert (retention.change_class, retention.changed) == ("substantive", True)
    for minute, may in enumerate(("must", "may", "must", "may"), start=6):  # "you may/must"
        record_capture(store, t, capture(policy(24, 25, may=may), minute))
    sharing = record_capture(store, t, capture(policy(24, 25, share="must"), 10))
    assert (sharing.change_class, sharing.changed) == ("substantive", True)


def change_log(days: tuple[int, ...], keep: str = "30 days", lang: str = "en") -> bytes:
    """A policy whose change log lists one date per entry, rendered in the visitor's zone."""
    months = {
        "en": ("Feb", "Nov", "Oct"),
        "fr": ("févr.", "nov.", "oct."),
        "de": ("Februar", "November", "Oktober"),
    }[lang]
    dot = "." if lang == "de" else ""
    items = "".join(
        f"<h3>Version of {d}{dot} {months[n % 3]} {2022 - n}</h3><p>Entry {n} of the log.</p>"
        for n, d in enumerate(days)
    )
    terms = TERMS.replace("30 days", keep)
    return f"<html><body><main><h1>Terms</h1>{terms}<h2>Changelog</h2>{items}</main></body></html>".encode()


def test_every_date_one_day_off_is_cosmetic_from_the_first_time(store: Store) -> None:
    """A change log whose dates all move by the same day (another time zone) is the same text:
    no alert the first time, none when it moves back (issue 14: facebook-style change logs
    raised a change and a revert on every capture from another zone)."""
    for lang in ("en", "fr", "de"):
        t = target(f"tz-{lang}")
        record_capture(store, t, capture(change_log((24, 24, 28, 4), lang=lang)))
        later = record_capture(store, t, capture(change_log((25, 25, 29, 5), lang=lang), 1))
        assert (later.change_class, later.changed, later.event) == ("cosmetic", False, None)
        back = record_capture(store, t, capture(change_log((24, 24, 28, 4), lang=lang), 2))
        assert (back.change_class, back.changed) == ("cosmetic", False)


def test_a_date_shift_that_is_not_a_time_zone_is_a_change(store: Store) -> None:
    """Two dates moved (an effective date and its copy), dates moved both ways or by two
    days, or a word changed with the shift: each is a change of the terms."""
    cases = {
        "two dates": ((24, 24, 10, 10), (25, 25, 10, 10)),
        "both ways": ((24, 24, 28, 4), (25, 23, 29, 5)),
        "two days": ((24, 24, 28, 4), (26, 26, 30, 6)),
    }
    for name, (before, after) in cases.items():
        t = target(f"shift-{name.replace(' ', '-')}")
        record_capture(store, t, capture(change_log(before)))
        out = record_capture(store, t, capture(change_log(after), 1))
        assert (name, out.change_class, out.changed) == (name, "substantive", True)
    t = target("shift-and-word")
    record_capture(store, t, capture(change_log((24, 24, 28, 4))))
    out = record_capture(store, t, capture(change_log((25, 25, 29, 5), keep="60 days"), 1))
    assert (out.change_class, out.changed) == ("substantive", True)


def test_dates_are_read_in_the_forms_policy_pages_use() -> None:
    import datetime as dt

    from clausewatch.changes.dates import dates_and_rest

    text = (
        "Updated 24 févr. 2022; 1er mars 2021; 3. März 2020; 5 de febrero de 2019; "
        "February 6th, 2018; 2017-12-31; 31 Feb 2022 is no date; 12 Foo 2022 neither."
    )
    dates, rest = dates_and_rest(text)
    assert dates == [
        dt.date(2022, 2, 24),
        dt.date(2021, 3, 1),
        dt.date(2020, 3, 3),
        dt.date(2019, 2, 5),
        dt.date(2018, 2, 6),
        dt.date(2017, 12, 31),
    ]
    assert rest.count("\x00date\x00") == 6 and "31 Feb 2022 is no date" in rest


def test_one_date_moved_in_several_places_is_not_a_time_zone() -> None:
    """Found by an outside check: an effective date moved by a day, said three times (or three
    times in one sentence, or in three forms), was folded as a time zone. Only different dates
    all moving together are one."""
    from clausewatch.changes.dates import shifted_a_day
    from clausewatch.extractors import Clause, extract

    def clauses(body: str) -> tuple[Clause, ...]:
        return extract(f"<html><body><main><h1>Terms</h1>{body}</main></body></html>").clauses

    pairs = [
        (
            "<p>Last updated: 12 January 2024.</p><p>These terms take effect on {d} March 2024."
            "</p><p>Until {d} March 2024 the old terms apply.</p><p>Renewals after {d} March "
            "2024 follow these terms.</p>"
        ),
        "<p>Effective 2024-03-0{d}: orders before 2024-03-0{d}; refunds until 2024-03-0{d}.</p>",
        "<p>Effective March {d}, 2024.</p><p>Updated {d} March 2024.</p><p>Since 2024-03-0{d}.</p>",
        # a date that did not move, in a clause that changed: not every date moved
        "<p>Versions: {d} Feb 2022, {d} Nov 2021, {d} Oct 2020 and 9 May 2019.</p>",
    ]
    for body in pairs:
        assert not shifted_a_day(clauses(body.format(d=1)), clauses(body.format(d=2))), body
    log = "<p>Versions: {a} Feb 2022, {b} Nov 2021, {c} Oct 2020.</p>"
    before, after = log.format(a=24, b=24, c=4), log.format(a=25, b=25, c=5)
    assert shifted_a_day(clauses(before), clauses(after))  # three different dates moved
