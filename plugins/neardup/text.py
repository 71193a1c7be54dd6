"""What a near-duplicate signature is computed from: a listing's text, normalised and cut into units.

Reposted text differs in the details a poster changes (the phone number, the price, the city, the handle) and in
how a page renders it (case, accents, spacing). Normalisation removes what should not count: the text is
lower-cased, accents are folded (``nötig`` = ``notig``), and every number, URL, e-mail address and ``@handle``
becomes one placeholder token, so ``Call 07700 900123`` and ``call +44 7700-900-456`` read the same.

A recruitment text is often pasted into different surroundings (another title, a closing line, an agency blurb),
which would dilute a whole-page comparison. So a listing's body is cut into *units*: paragraphs, with consecutive
short ones joined until a unit has :data:`MIN_WORDS` tokens. Two listings are near-duplicates when any unit of one
is near-identical to a unit of the other. A short tail after the last full unit is left out (a closing line does
not make a text); a body too short for one unit is read together with its title. Text with fewer than
:data:`MIN_WORDS` tokens in all gets no signature: short replies ("Thanks, that helps!") repeat everywhere and link
nothing worth an investigator's time.
"""

from __future__ import annotations

import re
import unicodedata

MIN_WORDS = 16  # tokens in a unit: about one sentence and a half
MAX_UNITS = 4  # a very long posting is signed on its first units only: bounded size and cost
MAX_CHARS = 20_000

PLACEHOLDER = "#"
# URLs, e-mail addresses and @handles, then numbers with their separators (a phone number written
# "0 7 7 0 0 ..." or "07.70.09" is one number, not many).
_CONTACT = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|@\w+")
_NUMBER = re.compile(r"\+?\d(?:[\d().\-/ ]*\d)?")
_CJK = "\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff"
# A Chinese, Japanese or Korean character is a token of its own (those scripts put no spaces between words).
_TOKEN = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]+|{PLACEHOLDER}")
# A forum reply's title is its thread's ("Re: ..."), not the poster's words.
_REPLY_TITLE = re.compile(r"^\s*(?:re|aw|antw|sv|vs|odp|rif|ref|fw|fwd)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)


def normalise(text: str) -> str:
    """Lower-case, numbers and contacts replaced by the placeholder, accents folded; line breaks kept."""
    text = _CONTACT.sub(f" {PLACEHOLDER} ", text.lower())
    text = _NUMBER.sub(f" {PLACEHOLDER} ", text)
    folded = unicodedata.normalize("NFKD", text)
    if not folded.isascii():
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return folded


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text`` (see :func:`normalise`)."""
    return _TOKEN.findall(normalise(text))


def units(title: str | None, body: str | None) -> list[list[str]]:
    """The token lists a listing is signed on (see the module docstring); empty when the text is too short."""
    found: list[list[str]] = []
    current: list[str] = []
    # Neither pattern crosses a line break, so the body is normalised once and cut into paragraphs after.
    for paragraph in normalise((body or "")[:MAX_CHARS]).split("\n"):
        current += _TOKEN.findall(paragraph)
        if len(current) >= MIN_WORDS:
            found.append(current)
            current = []
            if len(found) == MAX_UNITS:
                return found
    if found:
        return found
    if title and not _REPLY_TITLE.match(title):
        current = tokens(title[:MAX_CHARS]) + current
    return [current] if len(current) >= MIN_WORDS else []
