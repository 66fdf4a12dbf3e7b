"""English, Spanish or German, from counts of frequent words: cheap, dependency-free and good enough to pick
keywords and date order on receipts, invoices and letters."""

import re

_STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the and of to in for with on at by from is are was this that you your our we thank thanks please "
        "total subtotal tax amount change cash date invoice receipt due paid balance item items qty price "
        "card visa bill customer number phone dear sincerely regards street road".split()
    ),
    "es": frozenset(
        "el la los las de del y en por para con que un una su sus es al lo gracias le atentamente estimado "
        "estimada fecha factura importe iva efectivo cambio cantidad precio tarjeta cliente ticket base "
        "imponible pagar calle avenida tienda compra recibo señor señora saludos nº número".split()
    ),
    "de": frozenset(
        "der die das und mit für von zu zur zum ist nicht bitte danke vielen dank ihr ihre sie wir summe gesamt "
        "betrag zahlen bar rückgeld gegeben mwst ust netto brutto steuer datum uhrzeit kasse beleg rechnung "
        "kunde artikel menge preis straße str filiale einkauf".split()
    ),
}
_WORD = re.compile(r"[a-záéíóúñüäöß]+", re.IGNORECASE)


def language_scores(text: str) -> dict[str, int]:
    words = [w.lower() for w in _WORD.findall(text)]
    scores = {lang: sum(1 for w in words if w in vocab) for lang, vocab in _STOP_WORDS.items()}
    # letters only one of the languages uses are strong evidence on their own
    scores["es"] += 2 * len(re.findall(r"[ñáéíóú¿¡]", text.lower()))
    scores["de"] += 2 * len(re.findall(r"[äöüß]", text.lower()))
    return scores


def detect_language(text: str, default: str = "en") -> tuple[str, dict[str, int]]:
    """('en' | 'es' | 'de', scores); ties with the best go to `default`."""
    scores = language_scores(text)
    best = max(scores.values())
    winners = [lang for lang, score in scores.items() if score == best]
    return (default if default in winners or len(winners) > 1 else winners[0]), scores
