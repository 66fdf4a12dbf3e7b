"""Synthetic documents IRIS generates itself: classifier training data, test fixtures and quick-start samples.

Nothing here reads `../shared/data`; every page is drawn from seeded random content, so the same seed gives
the same page and its ground truth on any machine.
"""

from docgen.content import DOCUMENT_KINDS
from docgen.render import GeneratedDocument, render
from docgen.variants import apply_variant

__all__ = ["DOCUMENT_KINDS", "GeneratedDocument", "apply_variant", "render"]
