"""Pages that are not the document: error, challenge, sign-in and redirect pages.

A short extraction whose text (or page title) says it is an error page ("Something went
wrong", "Page not found", "Access denied"), a bot challenge ("Just a moment...", "Checking your
browser"), a redirect ("Redirecting to ...") or a sign-in wall (a title asking to log in) is
held back: recorded, it would "change" the terms to an error message and back. The phrases
are general vocabulary in en, fr, de, es, it, nl and pt; a page is judged only when it is
short, so a policy that quotes one of them is never held back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extractors.model import Clause

# Only extractions of at most this many words are judged: error pages are short.
SHORT_WORDS = 120

_ERROR_PHRASES = re.compile(
    r"page (?:not found|isn.t available|is not available|you requested)|something went wrong|"
    r"an error (?:has )?occurred|access denied|just a moment|checking your browser|"
    r"verify (?:that )?you are (?:a )?human|enable javascript and cookies|redirecting|"
    r"you are being redirected|temporarily unavailable|service unavailable|too many requests|"
    r"page introuvable|page non trouv[ée]e|cette page n.existe pas|"
    r"une erreur (?:est survenue|s.est produite)|acc[èe]s refus[ée]|redirection en cours|"
    r"v[ée]rification de votre navigateur|service indisponible|"
    r"seite (?:wurde )?nicht gefunden|etwas ist schiefgelaufen|ein fehler ist aufgetreten|"
    r"zugriff verweigert|weiterleitung|"
    r"p[áa]gina no encontrada|algo sali[óo] mal|se ha producido un error|acceso denegado|"
    r"redirigiendo|"
    r"pagina non trovata|qualcosa [èe] andato storto|si [èe] verificato un errore|"
    r"accesso negato|reindirizzamento|"
    r"pagina niet gevonden|er is iets (?:mis)?gegaan|er is een fout opgetreden|"
    r"toegang geweigerd|doorverwijzen|"
    r"p[áa]gina n[ãa]o encontrada|algo deu errado|ocorreu um erro|acesso negado|redirecionando",
    re.IGNORECASE,
)
# In the page title only: a status code, or a request to sign in.
_TITLE_PHRASES = re.compile(
    r"\b(?:404|403|429|500|502|503)\b|\b(?:log ?in|sign ?in|se connecter|connexion|anmelden|"
    r"einloggen|iniciar sesi[óo]n|accedi|inloggen|entrar|iniciar sess[ãa]o)\b",
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
        found = _ERROR_PHRASES.search(clause.text)
        if found:
            return f'it says "{found.group(0)}"'
    found = _ERROR_PHRASES.search(title) or _TITLE_PHRASES.search(title)
    if found:
        return f'its title says "{found.group(0)}"'
    return None
