"""The words of a page as a fixed-size vector, so the classifier can read "invoice", "factura", "total" (pure).

Hashed bag of words: no vocabulary to fit or store, so a model trained on generated pages accepts any word a
real page brings (an unseen word lands in a bucket with no weight instead of breaking the model). Accents are
stripped and case folded so Spanish text read with or without its accents maps to the same buckets; words
under three letters (OCR debris, numbers' fragments) are ignored; presence, not counts, so a long page does
not outweigh a short receipt.
"""

import unicodedata
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

TEXT_FEATURES_ID = "hashed-words-v1"
N_FEATURES = 2**14


def fold(text: str) -> str:
    """Lower case without accents: 'Factura Simplificada Nº' -> 'factura simplificada no'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


_VECTORIZER = HashingVectorizer(
    n_features=N_FEATURES,
    preprocessor=fold,
    token_pattern=r"[a-z]{3,}",
    alternate_sign=False,
    binary=True,
    norm="l2",
)


def text_features(texts: Sequence[str]) -> np.ndarray:
    """(n, N_FEATURES) float32 rows of unit length; a page with no readable word is an all-zero row."""
    return _VECTORIZER.transform(list(texts)).toarray().astype(np.float32)
