"""Pages that are not the document: error, challenge, sign-in and redirect pages.

A short extraction whose text (or page title) says it is an error page ("Something went
wrong", "Page not found", "Access denied"), a bot challenge ("Just a moment...", "Checking your
browser"), a redirect ("Redirecting to ...") or a sign-in wall (a title asking to log in) is
held back: recorded, it would "change" the terms to an error message and back. The phrases
are general vocabulary in en, fr, de, es, it, nl and pt; a page is judged only when it is
short, and a phrase counts only in a line of its own (a short clause) or the title, so a policy
that mentions one in a sentence is never held back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clausewatch.extractors.model import Clause

# Only extractions of at most this many words are judged: error pages are short.
SHORT_WORDS = 120
# A phrase counts in a clause of at most this many words (or in the title) ...
MESSAGE_MAX_WORDS = 25
# ... and a phrase terms may use in a sentence in a line of at most this many.
LINE_MAX_WORDS = 5

# What only an error, challenge or redirect page says.
_ERROR_PHRASES = re.compile(
    r"page (?:not found|isn.t available|is not available|you requested)|something went wrong|"
    r"an error (?:has )?occurred|just a moment|checking your browser|"
    r"verify (?:that )?you are (?:a )?human|enable javascript and cookies|"
    r"you are being redirected|"
    r"page introuvable|page non trouv[ée]e|cette page n.existe pas|"
    r"une erreur (?:est survenue|s.est produite)|redirection en cours|"
    r"v[ée]rification de votre navigateur|"
    r"seite (?:wurde )?nicht gefunden|etwas ist schiefgelaufen|ein fehler ist aufgetreten|"
    r"sie werden (?:jetzt )?weitergeleitet|"
    r"p[áa]gina no encontrada|algo sali[óo] mal|se ha producido un error|redirigiendo|"
    r"pagina non trovata|qualcosa [èe] andato storto|si [èe] verificato un errore|"
    r"reindirizzamento in corso|"
    r"pagina niet gevonden|er is iets (?:mis)?gegaan|er is een fout opgetreden|"
    r"u wordt doorgestuurd|"
    r"p[áa]gina n[ãa]o encontrada|algo deu errado|ocorreu um erro|redirecionando",
    re.IGNORECASE,
)
# What terms may say in a sentence too: counted only as a line of a few words.
_ERROR_LINES = re.compile(
    r"access denied|redirecting|temporarily unavailable|service unavailable|too many requests|"
    r"acc[èe]s refus[ée]|service indisponible|zugriff verweigert|acceso denegado|"
    r"accesso negato|toegang geweigerd|acesso negado",
    re.IGNORECASE,
)
# In the page title only: a status code, or a request to sign in.
_TITLE_PHRASES = re.compile(
    r"\b(?:404|403|429|500|502|503)\b|\b(?:log ?in|sign ?in|se connecter|anmelden|"
    r"einloggen|iniciar sesi[óo]n|accedi|inloggen|iniciar sess[ãa]o)\b",
    re.IGNORECASE,
)


def suspect_reason(clauses: Sequence[Clause], title: str) -> str | None:
    """Why a page is not the document (a phrase it shows), or None.

    >>> suspect_reason([Clause("paragraph", "Sorry! Something went wrong :(")], "Help")
    'it says "Something went wrong"'
    >>> suspect_reason([Clause("paragraph", "We keep your data for one year.")], "Privacy")
    """
    words = 0
    for clause in clauses:
        words += clause.text.count(" ") + 1
        if words > SHORT_WORDS:
            return None
    for clause in clauses:
        # an error message is a line of its own; a sentence of the terms that mentions one
        # ("the service may be temporarily unavailable") is longer
        spaces = clause.text.count(" ")
        found = None
        if spaces < LINE_MAX_WORDS:
            found = _ERROR_PHRASES.search(clause.text) or _ERROR_LINES.search(clause.text)
        elif spaces < MESSAGE_MAX_WORDS:
            found = _ERROR_PHRASES.search(clause.text)
        if found:
            return f'it says "{found.group(0)}"'
    found = (
        _ERROR_PHRASES.search(title) or _ERROR_LINES.search(title) or _TITLE_PHRASES.search(title)
    )
    if found:
        return f'its title says "{found.group(0)}"'
    return None
