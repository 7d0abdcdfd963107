"""The language a document's text is written in, from its own words. Pure.

A page's ``lang`` attribute is often the site's default, whatever the text is; the text's most
common short words are not. Each language below has a list of its most frequent function
words (articles, prepositions, pronouns, auxiliaries); the text is in the language whose words
it uses most, when that language clearly leads. Otherwise, or for a text too short to tell,
the language is unknown (None). Only general vocabulary: no site's words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from clausewatch.extractors.model import Clause

# Words shared by several of these languages ("de", "a", "en", "die", "la") still count for
# each of them: what decides is the whole list, and each list holds words of its own.
_FUNCTION_WORDS = {
    "en": "the and of to in is that for you your we our with are this be by or on not as it "
    "may will from any have which can if use",
    "fr": "le la les des du et un une pour vous votre vos nous nos est qui dans sur par pas "
    "au aux ces ce sont être avec leur",
    "de": "der die das und zu den von mit ist ein eine sie wir für auf nicht dem des im sich "
    "oder werden auch uns ihre wenn",
    "es": "el los las del y en con su sus una es se al como lo sobre usted más nuestro "
    "nuestros cuando pueden puede le",
    "it": "il lo gli di del della e che per con una non sono da nel al ai dei delle alla "
    "questo questi sul come",
    "nl": "het een en van is dat op te voor met zijn niet je uw wij ons dit deze worden "
    "kunnen bij ook naar wordt",
    "pt": "os do da dos das em com um uma não seu sua seus você nós ao aos pelo pela são "
    "também quando nossa nosso ou",
}
_WORDS = {lang: tuple(words.split()) for lang, words in _FUNCTION_WORDS.items()}
# What it takes to name a language: enough function words, and a clear lead over the next.
MIN_HITS = 20
MIN_SHARE = 0.15  # in these languages function words are a third of the words or more
LEAD = 1.5
MAX_CHARS = 5_000  # the start of a long document says as much as all of it


def detect_language(clauses: Iterable[Clause]) -> str | None:
    """The language (ISO 639-1: en, fr, de, es, it, nl, pt) of the clauses' text, or None.

    >>> detect_language([Clause("paragraph", "We use your data to run the service. " * 9)])
    'en'
    >>> detect_language([Clause("paragraph", "Hello")]) is None
    True
    """
    parts: list[str] = []
    chars = 0
    for clause in clauses:
        parts.append(clause.text)
        chars += len(clause.text)
        if chars >= MAX_CHARS:
            break
    # function words stand between spaces; a word glued to punctuation is one less hit
    counts = Counter(" ".join(parts)[:MAX_CHARS].lower().split())
    hits = Counter({lang: sum(counts[w] for w in words) for lang, words in _WORDS.items()})
    ranked = hits.most_common(2)
    if not ranked or ranked[0][1] < max(MIN_HITS, MIN_SHARE * counts.total()):
        return None  # too few of the language's words: another language, or too short
    if len(ranked) > 1 and ranked[0][1] < LEAD * ranked[1][1]:
        return None
    return ranked[0][0]
