"""Built-in enrichment plugin: phones, e-mails, messenger handles and links found in a listing's text.

Investigators link postings by their contact details, written differently on
every site ("+44 7700 900123", "07700-900-123", "zero seven seven...",
"anna [at] example [dot] com", "Telegram @anna_jobs"). This plugin reads the
title, the body and each ``contacts.raw`` entry, and fills ``contacts.phones``
(E.164), ``emails``, ``handles`` ('service:handle') and ``links``, keeping what
the extractor already put there, without duplicates, in order of first
appearance. Each value found gets a :class:`crawler.models.Mention` with the
field and character span it came from.

National numbers are read in the listing's located country, the countries of its
language, then the site profile's country (:mod:`plugins.contacts.regions`);
the mention of a national number records the country it was read in.
Every finder starts with a cheap pre-filter, so a listing without contact
details costs a few regex scans.
"""

from __future__ import annotations

from typing import Any

from crawler.plugins import hookimpl
from plugins.contacts.emails import find_emails
from plugins.contacts.handles import find_handles, services_for_phone
from plugins.contacts.phones import Regions, RegionsAt, find_phones
from plugins.contacts.regions import merge, phone_regions, regions_at

LISTS = ("phones", "emails", "handles", "links")


def scan(text: str, field: str, region: str | Regions | RegionsAt | None) -> list[dict[str, Any]]:
    """Mentions (as dicts) of every contact value in one field's text, in order of appearance."""
    in_contact = field.startswith("contacts.")
    found: list[tuple[int, str, str, int, int, str]] = []
    read_in: dict[tuple[int, str], str] = {}
    emails = find_emails(text)
    email_spans = [(e.start, e.end) for e in emails]
    found += [(e.start, "email", e.email, e.start, e.end, e.raw) for e in emails]
    for h in find_handles(text):
        if any(s <= h.start < e for s, e in email_spans):
            continue
        value = h.value
        if h.kind == "handle" and value.split(":", 1)[1].startswith("+"):
            found.append((h.start, "phone", value.split(":", 1)[1], h.start, h.end, h.raw))
        found.append((h.start, h.kind, value, h.start, h.end, h.raw))
    link_spans = [(m[3], m[4]) for m in found if m[1] == "link"]
    for p in find_phones(text, region, in_contact):
        if any(s < p.end and p.start < e for s, e in email_spans + link_spans):
            continue
        found.append((p.start, "phone", p.e164, p.start, p.end, p.raw))
        if p.region:
            read_in[(p.start, p.e164)] = p.region
        for service in services_for_phone(text, p.start, p.end):
            found.append((p.start, "handle", f"{service}:{p.e164}", p.start, p.end, p.raw))
    found.sort(key=lambda m: m[0])
    mentions = [{"type": t, "value": v, "field": field, "start": s, "end": e, "raw": r} for _, t, v, s, e, r in found]
    for mention in mentions:
        country = read_in.get((mention["start"], mention["value"])) if mention["type"] == "phone" else None
        if country:
            mention["read_in"] = country
    return mentions


def _fields(listing: dict[str, Any], contacts: dict[str, Any]) -> list[tuple[str, str]]:
    fields = [(name, listing.get(name)) for name in ("title", "body")]
    fields += [(f"contacts.raw[{i}]", raw) for i, raw in enumerate(contacts.get("raw") or [])]
    # A forum signature is its author's own contact line, on every post they write.
    fields.append(("extra.signature", (listing.get("extra") or {}).get("signature")))
    return [(name, text) for name, text in fields if isinstance(text, str) and text]


@hookimpl(trylast=True)  # after the location and language plugins: their results say where a number is from
def trawler_enrich_listing(listing: dict[str, Any], profile: Any) -> None:
    contacts = listing.get("contacts") or {}
    regions = phone_regions(listing, profile)
    mentions: list[dict[str, Any]] = []
    for field, text in _fields(listing, contacts):
        if field.startswith("contacts."):
            # A bare contact line has no language: read it first where the listing's other numbers were read.
            read = [m.get("read_in") for m in mentions]
            mentions += scan(text, field, merge(read, regions))
        else:
            mentions += scan(text, field, regions_at(text, regions))
    if not mentions:
        return
    merged = {name: list(contacts.get(name) or []) for name in LISTS}
    for mention in mentions:
        target = merged[mention["type"] + "s"]
        if mention["value"] not in target:
            target.append(mention["value"])
    old = list(contacts.get("mentions") or [])
    seen = {_key(m) for m in old}
    for mention in mentions:
        if _key(mention) not in seen:
            seen.add(_key(mention))
            old.append(mention)
    listing["contacts"] = {**contacts, **merged, "mentions": old}


def _key(mention: Any) -> tuple:
    get = mention.get if isinstance(mention, dict) else lambda k: getattr(mention, k)
    return get("type"), get("value"), get("field"), get("start"), get("end")
