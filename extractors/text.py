"""Text normalisation applied to every clause: pure string functions.

:func:`normalize_text` folds what never carries meaning (white space, invisible characters,
Unicode forms); :func:`fold_noise` replaces page noise that would otherwise make a new version
of unchanged terms: obfuscated e-mail addresses, tracking query strings in URLs written out in
the text, and replacement characters from broken encodings. :func:`fold_volatile` replaces
relative times ("3 days ago") for the substance hash only: the stored text keeps them.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Generic, TypeVar

V = TypeVar("V")

# Characters that render as nothing (or as a break opportunity) and carry no meaning, and the
# replacement character that a broken encoding leaves behind.
_INVISIBLE = re.compile(
    "[\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u200e\u200f\u202a-\u202e\ufffd"
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

RELATIVE_DATE = "[relative date]"
EMAIL_PROTECTED = "[email protected]"
# Relative times ("Updated 3 days ago", "il y a 2 semaines", "vor 5 Tagen", "hace 3 días",
# "2 giorni fa", "3 dagen geleden", "há 2 dias", "yesterday"): they change at every capture and
# say nothing about the terms. Kept in the stored text; folded out of the substance only.
_UNITS = {
    "en": r"(?:second|minute|hour|day|week|month|year)s?",
    "fr": r"(?:secondes?|minutes?|heures?|jours?|semaines?|mois|ans?|ann[ée]es?)",
    "de": r"(?:Sekunden?|Minuten?|Stunden?|Tag(?:en)?|Wochen?|Monat(?:en)?|Jahr(?:en)?)",
    "es": r"(?:segundos?|minutos?|horas?|d[ií]as?|semanas?|mes(?:es)?|a[ñn]os?)",
    "it": r"(?:second[io]|minut[io]|ore|ora|giorn[io]|settiman[ae]|mes[ei]|ann[io])",
    "nl": r"(?:seconden?|minuten?|uren|uur|dagen|dag|weken|week|maanden|maand|jaren|jaar)",
    "pt": r"(?:segundos?|minutos?|horas?|dias?|semanas?|m[eê]s(?:es)?|anos?)",
}
_RELATIVE_DATE = re.compile(
    rf"\b(?:\d+|an?|one|a few|several)\s+{_UNITS['en']}\s+ago\b"
    rf"|\bil y a\s+(?:\d+|une?|quelques)\s+{_UNITS['fr']}\b"
    rf"|\bvor\s+(?:\d+|einem|einer|wenigen)\s+{_UNITS['de']}\b"
    rf"|\bhace\s+(?:\d+|una?|unos|unas)\s+{_UNITS['es']}\b"
    rf"|\b(?:\d+|una?|uno|qualche)\s+{_UNITS['it']}\s+fa\b"
    rf"|\b(?:\d+|een|enkele)\s+{_UNITS['nl']}\s+geleden\b"
    rf"|\bh[áà]\s+(?:\d+|uma?|alguns|algumas)\s+{_UNITS['pt']}\b"
    r"|\b(?:yesterday|gestern|ayer|ieri|gisteren|ontem)\b|(?<=à jour )hier\b",
    re.IGNORECASE,
)
# A word every relative time above holds: ago, il y a, vor, hace, fa, geleden, há/hà, the
# words for yesterday and "hier". Searched first, since the full expression is slow to fail.
_RELATIVE_HINT = re.compile(
    r"ago\b|il y a|\bvor\b|\bhace\b|\bfa\b|geleden|\bh[áà]\b|yesterday|gestern|\bayer\b|"
    r"\bieri\b|gisteren|\bontem\b|\bhier\b",
    re.IGNORECASE,
)
# Cloudflare's e-mail obfuscation renders "[email protected]", sometimes glued to the
# neighbouring characters of the address it replaced.
_OBFUSCATED_EMAIL = re.compile(
    r"[\w.+-]*\[email\s*protected\](?:[\w-]+(?:\.[\w-]+)*)?", re.IGNORECASE
)
_URL_WITH_QUERY = re.compile(r"https?://[^\s?#]+\?[^\s#]+")
_TRACKING_PARAM = re.compile(
    r"utm_\w+|fbclid|gclid|dclid|msclkid|mc_[ce]id|_ga|_gl|yclid|igshid", re.IGNORECASE
)


def normalize_text(text: str) -> str:
    r"""Fold a block of text to its canonical form.

    Unicode NFC, invisible characters removed, every run of white space (including no-break
    and typographic spaces, which ``str.split`` knows) collapsed to one space, ends stripped,
    then :func:`fold_noise`.

    >>> normalize_text("  Data\u00a0we\u200b collect\n\tand  use ")
    'Data we collect and use'
    >>> normalize_text("Cafe\u0301") == "Caf\u00e9"
    True
    """
    if not text or text.isspace():
        return ""  # most blocks between elements are only white space
    folded = _NORMALIZED.get(text)
    if folded is None:
        folded = _normalize(text)
        _NORMALIZED.put(text, folded)
    return folded


def _normalize(text: str) -> str:
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        text = _INVISIBLE.sub("", text)
    elif _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    return fold_noise(" ".join(text.split()))


class Memo(Generic[V]):
    """Results of a pure function of text by input, for the text that recurs between versions.

    Successive captures of a policy repeat most of their clauses (and class names) word for
    word, so extraction remembers what it computed for each. Bounded by the characters it holds
    (inputs, and results that are text); when full it starts again empty, so memory stays flat
    however many pages a process reads. Only for pure functions: a hit returns what a miss
    would compute.
    """

    def __init__(self, max_chars: int = 4_000_000) -> None:
        self.max_chars = max_chars
        self._found: dict[str, V] = {}
        self._chars = 0

    def get(self, key: str) -> V | None:
        return self._found.get(key)

    def put(self, key: str, value: V) -> None:
        size = len(key) + (len(value) if isinstance(value, str) else 1)
        if self._chars + size > self.max_chars:
            self._found.clear()
            self._chars = 0
        self._found[key] = value
        self._chars += size


_NORMALIZED: Memo[str] = Memo()


def fold_volatile(text: str) -> str:
    """Replace relative times (in en, fr, de, es, it, nl, pt) by one placeholder: what the
    substance of a clause sees, never what is stored.

    >>> fold_volatile("Updated 3 days ago; mis à jour il y a 2 semaines, vor 5 Tagen")
    'Updated [relative date]; mis à jour [relative date], [relative date]'
    """
    if _RELATIVE_HINT.search(text) is None:
        return text  # most clauses: one cheap scan instead of the full expression
    return _RELATIVE_DATE.sub(RELATIVE_DATE, text)


def volatile_spans(text: str) -> list[str]:
    """The relative times :func:`fold_volatile` folds out of ``text``.

    >>> volatile_spans("Updated 3 days ago, vor 5 Tagen")
    ['3 days ago', 'vor 5 Tagen']
    """
    return [m.group(0) for m in _RELATIVE_DATE.finditer(text)]


def fold_noise(text: str) -> str:
    """Replace obfuscated e-mail addresses and drop tracking parameters.

    >>> fold_noise("Written by s[email protected].")
    'Written by [email protected].'
    >>> fold_noise("See https://x.example/p?utm_source=mail&id=4 now")
    'See https://x.example/p?id=4 now'
    """
    if "protected]" in text.lower():
        text = _OBFUSCATED_EMAIL.sub(EMAIL_PROTECTED, text)
    if "://" in text and "?" in text:
        text = _URL_WITH_QUERY.sub(_drop_tracking, text)
    return text


def _drop_tracking(match: re.Match[str]) -> str:
    url = match.group(0)
    trailing = len(url) - len(url.rstrip(".,;:)"))  # sentence punctuation after the URL
    url, tail = url[: len(url) - trailing], url[len(url) - trailing :]
    base, _, query = url.partition("?")
    kept = [p for p in query.split("&") if p and not _TRACKING_PARAM.fullmatch(p.split("=", 1)[0])]
    return (f"{base}?{'&'.join(kept)}" if kept else base) + tail
