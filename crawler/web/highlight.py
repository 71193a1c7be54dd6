"""Search matches wrapped in ``<mark>``, with every scraped character escaped.

Scraped text is hostile, so the markup is built here and nowhere else: the text is cut at the matches
(positions in the *original* text), each piece is HTML-escaped on its own, and only then are the pieces
joined with our ``<mark>`` tags. A cut never falls inside an escape sequence, and a literal ``<mark>`` or
``<script>`` in the text comes out as ``&lt;mark&gt;``/``&lt;script&gt;``.

Matching follows the search (crawler/query/tokens.py): case- and accent-insensitive, whole tokens only,
so the query ``stefan`` marks ``Ştefan`` and ``STEFAN`` but not ``stefanie``.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from crawler.query.tokens import MAX_TOKEN_LENGTH, TOKEN_PATTERN, fold, tokenize


def _folded_with_origin(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index of the original character it came from.

    Folding changes lengths ("ß" → "ss", a combining accent → nothing), so positions are mapped back one
    original character at a time.
    """
    if text.isascii():
        return text.lower(), list(range(len(text)))
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = fold(char)
        parts.append(folded)
        origin.extend([index] * len(folded))
    return "".join(parts), origin


def match_spans(text: str, tokens: Iterable[str]) -> list[tuple[int, int]]:
    """``(start, end)`` in ``text`` of every token that is one of ``tokens``, merged where they touch."""
    wanted = {t for t in tokens if t}
    if not text or not wanted:
        return []
    folded, origin = _folded_with_origin(text)
    spans: list[tuple[int, int]] = []
    # The search tokenizer's token shape, applied to text that is already folded.
    for found in TOKEN_PATTERN.finditer(folded):
        if found.group()[:MAX_TOKEN_LENGTH] not in wanted:
            continue
        start, end = origin[found.start()], origin[found.end() - 1] + 1
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def query_tokens(words: Iterable[str]) -> set[str]:
    """The tokens of the words and phrases an analyst typed (what :func:`highlight` marks)."""
    return {token for word in words for token in tokenize(word)}


def highlight(text: str | None, tokens: Iterable[str]) -> Markup:
    """``text`` escaped, with each occurrence of one of ``tokens`` (folded search tokens) in ``<mark>``."""
    if not text:
        return Markup("")
    out: list[str] = []
    at = 0
    for start, end in match_spans(text, tokens):
        out.append(str(escape(text[at:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        at = end
    out.append(str(escape(text[at:])))
    # Safe to mark as markup: every scraped piece above went through escape().
    return Markup("".join(out))
