"""E-mail addresses, plain and obfuscated ("anna [at] example [dot] com", "anna(at)example.de").

Obfuscation in brackets is unambiguous and always accepted. The bare word form
("anna at example dot com") collides with ordinary sentences ("meet me at the
station", "I work at example.com"), so it is accepted only when the domain is
also spelt with a bare or bracketed dot word, and the word before "at" is not
a common word such as "me" or "work". The at/dot words are recognised in the
languages of the labelled set: at/ät, arroba, arobase, małpa, собака; dot,
punkt, point, punto, punct, kropka, точка, крапка.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_OPEN, _CLOSE = r"[\[\(\{<]", r"[\]\)\}>]"
_AT_WORDS = r"(?:at|ät|arroba|arobase|ma[łl]pa|собака|эт)"
_DOT_WORDS = r"(?:dot|punkt|point|punto|punct|kropka|точка|крапка)"
_BR_AT = rf"\s?{_OPEN}\s?(?:{_AT_WORDS}|@)\s?{_CLOSE}\s?"
_BR_DOT = rf"\s?{_OPEN}\s?(?:{_DOT_WORDS}|\.)\s?{_CLOSE}\s?|\s\.\s"
_BARE_AT = rf"\s+{_AT_WORDS}\s+"
_BARE_DOT = rf"\s+{_DOT_WORDS}\s+"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LOCAL_PART = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+"
_TLD = r"[a-z]{2,24}"

EMAIL = re.compile(
    rf"(?<![\w.@+-])(?P<local>{_LOCAL_PART}(?:(?:\.|{_BR_DOT}|{_BARE_DOT}){_LOCAL_PART})*)"
    rf"(?P<at>@|\s@\s|{_BR_AT}|{_BARE_AT})"
    rf"(?P<domain>(?:{_LABEL}(?:\.|{_BR_DOT}|{_BARE_DOT}))+{_TLD})(?![\w@-])",
    re.IGNORECASE,
)
HINT = re.compile(rf"@|{_OPEN}\s?{_AT_WORDS}|\s{_AT_WORDS}\s", re.IGNORECASE)
_DOT_SPLIT = re.compile(rf"{_BR_DOT}|{_BARE_DOT}|\.", re.IGNORECASE)
_COMMON = frozenset((
    "me", "us", "you", "him", "her", "them", "it", "we", "i", "is", "are", "was", "be", "am", "look", "looking",
    "arrive", "arrived", "work", "works", "working", "worked", "live", "lives", "living", "meet", "met", "stay",
    "staying", "based", "located", "here", "there", "available", "call", "text", "write", "mail", "email", "contact",
    "reach", "find", "found", "seen", "see", "shop", "shopping", "job", "jobs", "start", "starts", "started", "pay",
    "paid", "home", "office", "school", "one", "two", "three", "this", "that", "the", "a", "an", "and", "or", "eat",
    "sit",
))  # fmt: skip


class EmailHit(NamedTuple):
    start: int
    end: int
    raw: str
    email: str


def _join(part: str) -> str:
    return ".".join(p for p in _DOT_SPLIT.split(part))


def find_emails(text: str) -> list[EmailHit]:
    if not HINT.search(text):
        return []
    hits = []
    for match in EMAIL.finditer(text):
        at, local, domain = match.group("at"), match.group("local"), match.group("domain")
        if at.strip() != "@" and not re.match(_BR_AT, at, re.IGNORECASE):
            # bare "at": needs an obfuscated dot in the domain and an unusual word before it
            if not re.search(_BARE_DOT + "|" + _BR_DOT, domain, re.IGNORECASE):
                continue
            if local.lower() in _COMMON:
                continue
        email = f"{_join(local)}@{_join(domain)}".lower()
        if ".." in email or email.startswith("."):
            continue
        hits.append(EmailHit(match.start(), match.end(), match.group(), email))
    return hits
