"""Which language a short text is written in (ISO 639-1), for the plugins that need to know.

py3langid (a maintained fork of langid.py: naive Bayes over byte n-grams, no network) with its candidate set
restricted to :data:`LANGUAGES`, the languages investigators meet: fewer look-alike candidates makes short texts more
accurate and the scoring cheaper. The model is loaded once, on first use. Texts with fewer than
:data:`MIN_LETTERS` letters, or a best guess below :data:`MIN_CONFIDENCE`, get no language: a wrong language is
worse than none.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier


# Destination countries (Western Europe), source countries (Eastern Europe, Balkans, Asia, Africa: English/French
# there) and the languages of their neighbours that the model would otherwise confuse them with.
LANGUAGES = (
    "en", "de", "fr", "nl", "es", "it", "pt", "ro", "pl", "uk", "ru", "bg", "cs", "sk", "hu", "tr", "ar", "zh",
    "vi", "th", "tl", "el", "sq", "lt", "lv", "hr", "sv", "da", "fi", "id", "fa", "hi", "ja", "ko", "he",
)  # fmt: skip
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.6
MAX_CHARS = 600  # the start of a long body says as much as the whole of it, at a fraction of the cost

# URLs, e-mail addresses, handles and digits (phone numbers, prices) carry no language and blur short texts.
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|[@#]\w+|[\d_]+")
# A Chinese, Japanese or Korean character says about as much as a word: each counts as three letters.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")

_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def identifier() -> LanguageIdentifier:
    """The model restricted to :data:`LANGUAGES`, loaded on first use (about half a second) and shared."""
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                model.set_languages(LANGUAGES)
                _identifier = model
    return _identifier


def detect(text: str | None) -> str | None:
    """ISO 639-1 code of ``text``'s language, or ``None`` when the text is too short or the guess too weak."""
    if not text:
        return None
    clean = _NOISE.sub(" ", text[:MAX_CHARS])
    if sum(map(str.isalpha, clean)) + 2 * len(_CJK.findall(clean)) < MIN_LETTERS:
        return None
    language, confidence = identifier().classify(clean)
    return language if confidence >= MIN_CONFIDENCE else None
