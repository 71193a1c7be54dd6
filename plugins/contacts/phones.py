"""Phone numbers in free text, normalised to E.164 with ``phonenumbers``.

Text is full of digit runs that are not phones: prices ("1.250 EUR"), dates
("12.03.2026"), salaries ("2500-3000"), years, post and order ids. So a run of
digits becomes a phone only if

* it has at least seven digits and is not shaped like a date;
* it is not followed by a currency or unit, nor preceded by an id label;
* ``phonenumbers`` finds it valid for the region (the ``+``/``00`` country code,
  else the first of the candidate countries where it is valid, see
  :mod:`plugins.contacts.regions`); a number that is only *possible* (fictional
  ranges such as the UK's 07700 900xxx) needs a ``+`` or a phone word nearby;
* a national number without a trunk ``0`` (Spain's "612 345 678", Poland's
  "512 345 678") needs a phone word nearby too: without one it is as likely an id.

Contact fields (``contacts.raw``) count as phone context. Runs that hold two
numbers ("07700 900123 / 07700 900456") are split at group boundaries.
Letters O/o written for zero ("o77oo 9oo123") are read as 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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

Regions = tuple[str, ...]
# The countries to read a national number in, given where it starts in the text (its sentence may say more).
RegionsAt = Callable[[int], Regions]
_SPACES = str.maketrans("-,./", "    ")


class PhoneHit(NamedTuple):
    start: int
    end: int
    raw: str
    e164: str
    region: str | None = None  # the country a national number was read in; None when written with its code


class Reading(NamedTuple):
    e164: str
    region: str | None


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
    text: str, start: int, end: int, digits: str, regions: RegionsAt, in_contact: bool, spelt: bool = False
) -> Reading | None:
    if sum(c.isdigit() for c in digits) < 7:
        return None
    if _DATE.fullmatch(text[start:end].strip("() ")):
        return None
    before = text[max(0, start - CONTEXT_WINDOW) : start]
    if _NEG_BEFORE.search(before):
        return None
    if _UNIT_AFTER.match(text[end : end + 8]) or _CURRENCY_BEFORE.search(before):
        return None
    if digits.startswith("+"):
        found = normalise(digits, None)
        return Reading(found[0], None) if found else None
    if digits.startswith("00"):  # a country code, but "00" also starts ids: a number only possible needs context
        found = normalise(digits, None)
        if found is None:
            return None
        return Reading(found[0], None) if found[1] or in_contact or _CONTEXT.search(before) else None
    strong, weak = _national(digits, regions(start), spelt)
    if strong:
        return strong
    return weak if weak and (in_contact or _CONTEXT.search(before)) else None


def _national(digits: str, regions: Regions, spelt: bool) -> tuple[Reading | None, Reading | None]:
    """A national number read in each candidate country in turn: (sure reading, reading that needs context).

    Sure: valid where national numbers start with a trunk 0 and this one does. Needing context: valid where
    numbers have no trunk prefix (Spain, Poland), else only possible (fictional ranges). The first sure reading
    wins; else the first valid, else the first possible one.
    """
    valid_weak: Reading | None = None
    possible: Reading | None = None
    for region in regions:
        found = normalise(digits, region)
        if found is None:
            continue
        prefix = _national_prefix(region)
        if prefix and not digits.startswith(prefix) and not spelt:
            continue  # "12345678" in Germany: a national number is written with its trunk 0
        e164, valid = found
        if valid and prefix:
            return Reading(e164, region), None
        if valid:
            valid_weak = valid_weak or Reading(e164, region)
        else:
            possible = possible or Reading(e164, region)
    return None, valid_weak or possible


@lru_cache(maxsize=256)
def _national_prefix(region: str | None) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region or "")
    return (metadata.national_prefix or "") if metadata else ""


def _split_groups(text: str, masked: str, start: int, end: int, regions: RegionsAt, in_contact: bool) -> list[PhoneHit]:
    """Two or more numbers in one run: take the longest valid prefix of groups, then go on after it.

    Only when every group of digits ends up in a number: "+40 21 2727 8327" (one number too long to be valid)
    is not a valid "+40 21 2727" followed by stray digits.
    """
    groups = [m.span() for m in _GROUP.finditer(masked, start, end)]
    hits, i = [], 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            s, e = groups[i][0], groups[j - 1][1]
            if text[s - 1 : s] == "(":
                s -= 1
            reading = _accept(text, s, e, _digits(text[s:e]), regions, in_contact)
            if reading:
                hits.append(PhoneHit(s, e, text[s:e], *reading))
                i = j
                break
        else:
            if any(c.isdigit() for c in text[groups[i][0] : groups[i][1]]):
                return []
            i += 1  # a lone "o" after a number is the word "or" in Spanish, not a stray zero
    return hits


def find_phones(text: str, region: str | Regions | RegionsAt | None, in_contact: bool = False) -> list[PhoneHit]:
    """Phones in ``text`` in order of appearance.

    ``region``: the country (or countries, most likely first, or a function of the number's offset giving them)
    national numbers are read in; ``in_contact``: the text is a contact field.
    """
    if callable(region):
        regions: RegionsAt = region
    else:
        fixed: Regions = (region,) if isinstance(region, str) else tuple(region or ())
        regions = lambda _start: fixed  # noqa: E731
    hits: list[PhoneHit] = []
    taken: list[tuple[int, int]] = []
    if has_number_words(text.lower().translate(_SPACES).split()):
        for run in find_word_runs(text):
            reading = _accept(text, run.start, run.end, run.digits, regions, True, spelt=True)
            if reading:
                hits.append(PhoneHit(run.start, run.end, run.raw, *reading))
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
                hits.extend(_split_groups(text, masked, start, end, regions, in_contact))
                continue
            reading = _accept(text, start, end, digits, regions, in_contact)
            if reading:
                hits.append(PhoneHit(start, end, text[start:end], *reading))
            elif len(_GROUP.findall(raw)) > 1:
                hits.extend(_split_groups(text, masked, start, end, regions, in_contact))
    hits.sort()
    return hits
