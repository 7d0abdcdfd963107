"""Document language per version, and the `language` change class (issue 14)."""

from __future__ import annotations

import pytest

from clausewatch.extractors import Clause
from clausewatch.extractors.language import detect_language
from clausewatch.pipeline.record import record_capture
from clausewatch.storage.store import Store
from tests.helpers import capture, target

SAMPLES = {
    "en": "We use the data you give us to run the service, and we keep it for as long as "
    "your account is open. You may ask us to delete it at any time.",
    "fr": "Nous utilisons les données que vous nous donnez pour le service, et nous les "
    "gardons tant que votre compte est ouvert. Vous pouvez nous demander de les supprimer.",
    "de": "Wir verwenden die Daten, die Sie uns geben, für den Dienst und bewahren sie auf, "
    "solange Ihr Konto besteht. Sie können uns bitten, sie zu löschen, wenn Sie das wollen.",
    "es": "Usamos los datos que usted nos da para el servicio y los guardamos mientras su "
    "cuenta esté abierta. Puede pedirnos que los eliminemos en cualquier momento del año.",
    "it": "Usiamo i dati che ci fornisci per il servizio e li conserviamo finché il tuo "
    "account è aperto. Puoi chiederci di cancellarli in qualsiasi momento con una richiesta.",
    "nl": "Wij gebruiken de gegevens die je ons geeft voor de dienst en bewaren ze zolang je "
    "account open is. Je kunt ons vragen ze te verwijderen, dat kan op elk moment bij ons.",
    "pt": "Usamos os dados que você nos fornece para o serviço e os guardamos enquanto sua "
    "conta estiver aberta. Você pode nos pedir para excluí-los a qualquer momento do ano.",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_the_language_of_a_text_is_told_from_its_own_words(lang: str) -> None:
    clauses = [Clause("paragraph", SAMPLES[lang]) for _ in range(4)]
    assert detect_language(clauses) == lang


def test_a_short_or_mixed_text_has_no_language() -> None:
    assert detect_language([Clause("paragraph", "Privacy")]) is None
    mixed = [Clause("paragraph", SAMPLES["en"]), Clause("paragraph", SAMPLES["fr"])] * 3
    assert detect_language(mixed) is None


def page(lang: str, headings: int = 1, extra: str = "") -> bytes:
    body = "".join(
        f"<h2>{n}</h2>" * headings + f"<p>{SAMPLES[lang]} ({n})</p><p>{SAMPLES[lang]}</p>"
        for n in range(6)
    )
    return f"<html><body><main><h1>{lang}</h1>{body}{extra}</main></body></html>".encode()


def test_the_same_document_served_in_another_language_is_a_language_version(
    store: Store,
) -> None:
    t = target()
    first = record_capture(store, t, capture(page("en")))
    assert store.get_manifest(first.manifest or "").language == "en"
    french = record_capture(store, t, capture(page("fr"), 1))
    assert (french.status, french.change_class, french.changed) == ("changed", "language", False)
    assert french.event is None  # no alert: history and diff show it
    assert store.get_manifest(french.manifest or "").language == "fr"
    # back to the English text last seen: a language version again, not a revert
    back = record_capture(store, t, capture(page("en"), 2))
    assert (back.change_class, back.changed) == ("language", False)


def test_a_change_of_the_text_in_a_language_seen_before_is_substantive(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("en")))
    record_capture(store, t, capture(page("fr"), 1))
    changed = page("en", extra=f"<p>{SAMPLES['en'].replace('delete', 'export')}</p>")
    outcome = record_capture(store, t, capture(changed, 2))
    assert (outcome.change_class, outcome.changed) == ("substantive", True)


def test_another_language_with_another_structure_is_substantive(store: Store) -> None:
    t = target()
    record_capture(store, t, capture(page("en")))
    outcome = record_capture(store, t, capture(page("fr", headings=3), 1))
    assert outcome.change_class == "substantive"


def test_a_language_not_in_the_list_is_unknown_not_a_neighbour() -> None:
    """Found by a breaker: Polish was told Dutch from "je", "to", "do", "na"."""
    polish = (
        "Przetwarzamy dane, które nam przekazujesz, aby świadczyć usługę, i przechowujemy je "
        "do czasu zamknięcia konta. Możesz nas poprosić o ich usunięcie w dowolnym momencie, "
        "to jest twoje prawo, na które się powołujesz w naszym serwisie."
    )
    assert detect_language([Clause("paragraph", polish)] * 6) is None
