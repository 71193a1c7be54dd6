"""A contact value as an analyst types it → the entity ids it may be stored under.

Phones: any written form ("0721 234 567", "+40 721-234-567", "0040721234567")
is read with the contacts plugin's own normaliser. A number with its country
code gives one E.164 candidate; a national number gives one per country where
it is a possible number, and the caller keeps the candidates that exist as
entities (a point read on ``_id``). E-mails and handles are compared
lower-case, as the contacts plugin stores them.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from crawler.storage.entities import entity_id
from plugins.contacts.handles import PHONE_SERVICES, SERVICE_NAMES
from plugins.contacts.phones import normalise

_ENTITY_TYPES = ("phone", "email", "handle", "image", "text_cluster")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HANDLE = re.compile(r"^(?:([a-z]+):)?@?([\w.\-]{2,64})$")


@lru_cache(maxsize=1)
def _regions() -> tuple[str, ...]:
    return tuple(sorted(phonenumbers.SUPPORTED_REGIONS))


def phone_candidates(text: str) -> list[str]:
    """E.164 numbers ``text`` may be: one with a country code, several for a national number."""
    letters = sum(c.isalpha() for c in text)
    digits = "".join(c for c in text if c.isdigit())
    if letters or not 6 <= len(digits) <= 17:
        return []
    written_plus = text.strip().lstrip("(").startswith("+")
    if written_plus or digits.startswith("00"):
        found = normalise(("+" + digits) if written_plus else digits, None)
        return [found[0]] if found else []
    candidates = {found[0] for region in _regions() if (found := normalise(digits, region))}
    if not digits.startswith("0"):  # E.164 typed without its "+"
        found = normalise("+" + digits, None)
        if found:
            candidates.add(found[0])
    return sorted(candidates)


def resolve_contact(db: object, text: str) -> list[str]:
    """Entity ids ``text`` may denote (an entity id as such, a phone in any form, an e-mail, a handle).

    Ids that are not stored are included; looking them up by ``_id`` costs nothing.
    """
    value = text.strip()
    kind, _, rest = value.partition(":")
    if kind in _ENTITY_TYPES and rest:
        return [f"{kind}:{rest.lower() if kind in ('email', 'handle') else rest}"]
    ids: list[str] = []
    for e164 in phone_candidates(value):  # the number, and the messenger accounts named by it
        ids += [entity_id("phone", e164), *(entity_id("handle", f"{s}:{e164}") for s in PHONE_SERVICES)]
    lowered = value.lower()
    if _EMAIL.match(lowered):
        ids.append(entity_id("email", lowered))
    elif match := _HANDLE.match(lowered):
        service, handle = match.groups()
        if service:
            ids.append(entity_id("handle", f"{service}:{handle}"))
        else:  # a bare handle: the messenger services the contacts plugin knows
            ids += [entity_id("handle", f"{s}:{handle}") for s in SERVICE_NAMES]
    return ids
