"""Phone numbers in free text, normalised to E.164 with ``phonenumbers``.

Text is full of digit runs that are not phones: prices ("1.250 EUR"), dates
("12.03.2026"), salaries ("2500-3000"), years, post and order ids. So a run of
digits becomes a phone only if

* it has at least seven digits and is not shaped like a date;
* it is not followed by a currency or unit, nor preceded by an id label;
* ``phonenumbers`` finds it valid for the region (the ``+``/``00`` country code,
  else the site's country hint); a number that is only *possible* (fictional
  ranges such as the UK's 07700 900xxx) needs a ``+`` or a phone word nearby;
* a national number without a trunk ``0`` (Spain's "612 345 678", Poland's
  "512 345 678") needs a phone word nearby too: without one it is as likely an id.

Contact fields (``contacts.raw``) count as phone context. Runs that hold two
numbers ("07700 900123 / 07700 900456") are split at group boundaries.
Letters O/o written for zero ("o77oo 9oo123") are read as 0.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from plugins.contacts.obfuscation import find_word_runs, has_number_words

_SEP = r"[ \t\u00a0]{0,2}[.\-/–]?[ \t\u00a0]{0,2}"
_DIG = r"[0-9Oo]"
# A candidate starts at a digit (or +, 00, a bracket) that is not inside a word, url or #id.
CANDIDATE = re.compile(
    rf"(?<![\w#@/=&+])(?:\+[ \t]?|\(\+?)?{_DIG}(?:\)?{_SEP}\(?{_DIG}){{5,}}\)?(?![\w])",
)
# Pre-filter for the whole text: any run of 5+ digits allowing single separators, or O-for-0 mixes.
DIGITS_HINT = re.compile(r"\d[\d \t.\-/()Oo]{4,}\d")

_DATE = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[.:]\d{2}\s?[-–]\s?\d{1,2}[.:]\d{2}"
)
_GROUP = re.compile(r"\+?[0-9Oo]+")

_CONTEXT = re.compile(
    r"(?:\btel\b|tel[.:]|telef|t[eé]l[eé]phone|phone|\bph\b|\bmob|\bcell|\bcall|\bring\b|\btext\b|\bsms\b|whats|"
    r"viber|signal|telegram|\bnum|\bnr\b|handy|\bruf|anruf|kontakt|contact|appel|portable|llam|tel[eé]fono|"
    r"m[oó]vil|movil|suna|sună|dzwo|zadzwo|komórk|komork|тел|звон|дзвон|номер|моб|вайбер|ватсап)",
    re.IGNORECASE,
)
_NEG_BEFORE = re.compile(
    r"(?:\bid|\bref\w*|\bno\.?|#|order|post|invoice|iban|account|konto|item|\bad\b|\bsku|isbn|\bean|\bzip|\bplz|"
    r"\bvat|\bust|\bnip|pesel|tracking|ticket|customer|case)(?:\s+(?:number|no\.?|nr\.?|num\.?))?\W{0,3}$",
    re.IGNORECASE,
)
# Dates and time ranges standing alone are blanked out before looking for digit runs ("12.03.2026 10.00-18.00").
_DATE_MASK = re.compile(
    r"(?<![\d.\-/])(?:\d{1,2}([./-])\d{1,2}\1(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|\d{1,2}[.:]\d{2}\s?[-–]\s?\d{1,2}[.:]\d{2})"
    r"(?![\d.\-/]\d|\d)"
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[0-9A-Z]{4}){2,}")
_UNIT_AFTER = re.compile(
    r"^\s?(?:€|\$|£|eur|euro|usd|gbp|pln|zł|zl|ron|lei|uah|грн|rub|руб|chf|km|kg|m²|m2|sq|%|x\b|h\b|min\b|"
    r"views|likes|posts|members|bytes|times|years|jahre|lat|ani|años|рок|лет)",
    re.IGNORECASE,
)
_CURRENCY_BEFORE = re.compile(r"(?:€|\$|£|eur|usd|gbp|pln|ron)\s?$", re.IGNORECASE)

CONTEXT_WINDOW = 30
_SPACES = str.maketrans("-,./", "    ")


class PhoneHit(NamedTuple):
    start: int
    end: int
    raw: str
    e164: str


@lru_cache(maxsize=4096)
def normalise(digits: str, region: str | None) -> tuple[str, bool] | None:
    """(E.164, valid?) for '+'/digits, or None when not even possible; region is for national numbers."""
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.startswith("+") and not region:
        return None
    try:
        number = phonenumbers.parse(digits, None if digits.startswith("+") else region)
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), phonenumbers.is_valid_number(number)


def _digits(raw: str) -> str:
    out = [c if c.isdigit() else "0" for c in raw if c.isdigit() or c in "Oo"]
    return ("+" if raw.lstrip("( ").startswith("+") else "") + "".join(out)


def _accept(
    text: str, start: int, end: int, digits: str, region: str | None, in_contact: bool, spelt: bool = False
) -> str | None:
    if sum(c.isdigit() for c in digits) < 7:
        return None
    if _DATE.fullmatch(text[start:end].strip("() ")):
        return None
    before = text[max(0, start - CONTEXT_WINDOW) : start]
    if _NEG_BEFORE.search(before):
        return None
    if _UNIT_AFTER.match(text[end : end + 8]) or _CURRENCY_BEFORE.search(before):
        return None
    found = normalise(digits, region)
    if found is None:
        return None
    e164, valid = found
    if digits.startswith("+"):
        return e164
    prefix = "" if digits.startswith("00") else _national_prefix(region)
    if prefix and not digits.startswith(prefix) and not spelt:
        return None  # "12345678" in Germany: a national number is written with its trunk 0
    if valid and (prefix or digits.startswith("00")):
        return e164
    return e164 if in_contact or _CONTEXT.search(before) else None


@lru_cache(maxsize=256)
def _national_prefix(region: str | None) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region or "")
    return (metadata.national_prefix or "") if metadata else ""


def _split_groups(text: str, masked: str, start: int, end: int, region: str | None, in_contact: bool) -> list[PhoneHit]:
    """Two or more numbers in one run: take the longest valid prefix of groups, then go on after it."""
    groups = [m.span() for m in _GROUP.finditer(masked, start, end)]
    hits, i = [], 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            s, e = groups[i][0], groups[j - 1][1]
            if text[s - 1 : s] == "(":
                s -= 1
            e164 = _accept(text, s, e, _digits(text[s:e]), region, in_contact)
            if e164:
                hits.append(PhoneHit(s, e, text[s:e], e164))
                i = j
                break
        else:
            i += 1
    return hits


def find_phones(text: str, region: str | None, in_contact: bool = False) -> list[PhoneHit]:
    """Phones in ``text`` in order of appearance; ``in_contact``: the text is a contact field."""
    hits: list[PhoneHit] = []
    taken: list[tuple[int, int]] = []
    if has_number_words(text.lower().translate(_SPACES).split()):
        for run in find_word_runs(text):
            e164 = _accept(text, run.start, run.end, run.digits, region, True, spelt=True)
            if e164:
                hits.append(PhoneHit(run.start, run.end, run.raw, e164))
                taken.append((run.start, run.end))
    if DIGITS_HINT.search(text):
        ibans = [m.span() for m in _IBAN.finditer(text)]
        masked = _DATE_MASK.sub(lambda m: "x" * len(m.group()), text)
        for match in CANDIDATE.finditer(masked):
            start, end = match.span()
            if any(s < end and start < e for s, e in taken) or _NEG_BEFORE.search(text[max(0, start - 30) : start]):
                continue
            if any(s <= start < e for s, e in ibans):
                continue
            raw = match.group()
            if raw.endswith(")") and "(" not in raw:
                end -= 1
            digits = _digits(text[start:end])
            if sum(c.isdigit() for c in digits) > 15:
                hits.extend(_split_groups(text, masked, start, end, region, in_contact))
                continue
            e164 = _accept(text, start, end, digits, region, in_contact)
            if e164:
                hits.append(PhoneHit(start, end, text[start:end], e164))
            elif len(_GROUP.findall(raw)) > 1:
                hits.extend(_split_groups(text, masked, start, end, region, in_contact))
    hits.sort()
    return hits
