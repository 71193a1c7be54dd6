"""Which contact values the demo generator planted in each listing, and whose they are.

The generator gives every person who posts contact details (recruiters, market
sellers, review businesses) a phone number, an e-mail or a Telegram handle and
writes them in many forms ("+44 7700 900123", "07700-900-123", "0 7 7 0 0...").
This module lists every form the generator can write for each value and finds
them in a truth listing's own text (title, body, contact lines, signature; not
in quotes of other posts), so tests can check the links an enricher makes
against what was planted: every planted link found, no link between the
generator's distinct people.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers

from crawler.demo.world import PHONE_STYLES, format_phone, recruiters

# The listing fields whose text is the listing author's own (quotes of other posts are not).
OWN_TEXT = ("title", "body")


@dataclass(frozen=True)
class Planted:
    entity: str  # the entity id Trawler should make of it: "phone:+447700900123", "email:..", "handle:telegram:.."
    owner: str  # the generator's key for the person or business it belongs to
    forms: tuple[str, ...]  # every way the generator may write it


def _phone(e164: str, owner: str, written: Iterable[str] = ()) -> Planted:
    forms = {format_phone(e164, style) for style in PHONE_STYLES} | set(written)
    return Planted(f"phone:{e164}", owner, tuple(sorted(forms, key=len, reverse=True)))


def contact_book(built: dict[str, Any]) -> list[Planted]:
    """Every contact value of every person in the built demo platforms (``server.build_all``)."""
    book: list[Planted] = []
    for person in recruiters():
        if person.phone:
            book.append(_phone(person.phone, person.key))
        if person.email:
            book.append(Planted(f"email:{person.email}", person.key, (person.email,)))
        if person.telegram:
            book.append(Planted(f"handle:telegram:{person.telegram.lower()}", person.key, (f"@{person.telegram}",)))
    market = built.get("market")
    for seller in getattr(market, "sellers", []):
        if getattr(seller, "person", None) is not None:
            continue  # a recruiter's account: their contacts are already in the book
        if seller.phone:
            book.append(_phone(seller.phone, f"seller:{seller.id}"))
        if seller.email:
            book.append(Planted(f"email:{seller.email}", f"seller:{seller.id}", (seller.email,)))
    reviews = built.get("reviews")
    for business in getattr(reviews, "businesses", []):
        if business.persons:
            continue  # a recruiter's front business: its contacts are the recruiter's, already in the book
        owner = f"business:{business.slug}"
        if business.phone:
            number = phonenumbers.parse(business.phone, business.country)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            book.append(_phone(e164, owner, [business.phone]))
        if business.email:
            book.append(Planted(f"email:{business.email}", owner, (business.email,)))
    return book


def own_text(item: dict[str, Any]) -> str:
    parts = [item.get(name) or "" for name in OWN_TEXT]
    parts += (item.get("contacts") or {}).get("raw") or []
    parts.append((item.get("extra") or {}).get("signature") or "")
    return "\n".join(p for p in parts if isinstance(p, str))


def planted_in(item: dict[str, Any], book: list[Planted]) -> dict[str, str]:
    """``{entity id: owner}`` of every contact value written in a truth listing's own text."""
    text = own_text(item)
    return {p.entity: p.owner for p in book if any(form in text for form in p.forms)}
