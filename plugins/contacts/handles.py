"""Messenger handles ('service:handle') and external links.

Recruitment moves to messengers fast, and the handle is what links one
recruiter's posts across sites. A handle is taken only when its service is
named: by a link (t.me/x, wa.me/447..., instagram.com/x, line.me/ti/p/~x...) or
by the service's name just before it ("Telegram: @anna_jobs", "WeChat ID:
wxid_77", "Instagram @anna"). A bare "@name" without a service nearby is a
forum mention, not a contact. A phone written right after a phone-capable
messenger's name ("WhatsApp: +44 7700 900123") also gives 'whatsapp:+447700900123'
(done in the plugin, which knows the phones). Handles are lower-cased except
phone numbers; WhatsApp/Viber/Signal numbers in links are normalised to E.164.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# service -> how people name it (regex, case-insensitive); LINE only as "Line ID" / "LINE:" (see _LINE_UPPER).
SERVICE_NAMES = {
    "telegram": r"telegra(?:m|mm)\w*|телегра\w*|\btg\b|\bтг\b|\bтелега\b",
    "whatsapp": r"whats\s?app?|\bwa\b|ватсап\w*|вотсап\w*|вацап\w*",
    "signal": r"\bsignal\b|сигнал\w*",
    "viber": r"viber|вайбер\w*",
    "wechat": r"we\s?chat|weixin|微信|вичат",
    "snapchat": r"snap\s?chat|\bsnap\b",
    "instagram": r"instagram|\binsta\b|\big\b|инстаграм\w*|інстаграм\w*",
    "line": r"\bline\s?id\b",
    "skype": r"skype|скайп\w*",
}
PHONE_SERVICES = ("whatsapp", "viber", "signal", "telegram")
_CONNECTORS = (
    r"or|and|und|oder|sau|și|si|y|o|ou|et|lub|i|або|или|та|и|pe|la|na|per|on|auf|au|по|на|via|me|at|al|"
    r"number|nummer|numer|numar|número|номер|nr|no|id"
)
_CONNECT = re.compile(rf"[\s:,/&+\-–()]*(?:(?:{_CONNECTORS})\b\.?[\s:,/&+\-–()]*)*", re.IGNORECASE)
_SERVICE = re.compile("|".join(f"(?P<{k}>{v})" for k, v in SERVICE_NAMES.items()), re.IGNORECASE)
_LINE_UPPER = re.compile(r"\bLINE\b")

# A handle right after a service name: "Telegram: @anna", "WeChat ID - wxid_1", "Skype: live:anna.k".
_AFTER_NAME = re.compile(
    r"\s?(?P<sep>\(|\s?(?:id|username|user|nick|ник|логин)\b\s?[:\-–—=]?|\s?[:\-–—=])?\s*"
    r"(?P<handle>@?(?:live:)?[a-z][a-z0-9_.]{2,31}[a-z0-9_]|@[a-z0-9_]{3,32})",
    re.IGNORECASE,
)
_AFTER_PHONE = re.compile(
    rf"[\s,(\-–]*(?:(?:{_CONNECTORS})\s+){{0,2}}(?P<names>(?:(?:{'|'.join(SERVICE_NAMES.values())})[\s/,&+]*)+)"
    r"\s*(?:\)|[.,;!]|$)",
    re.IGNORECASE,
)
_SIGNAL_USERNAME = re.compile(r"[a-z][a-z0-9_]{2,31}\.\d{2,10}", re.IGNORECASE)
_AT_HANDLE = re.compile(r"(?<![\w.@/])@(?P<handle>[a-z][a-z0-9_.]{2,31}[a-z0-9_])(?![\w@])", re.IGNORECASE)
_NOT_HANDLES = frozenset((
    "and", "oder", "und", "или", "або", "the", "com", "net", "org", "me", "id", "number", "nummer", "numer", "номер",
    "phone", "tel", "call", "write", "message", "contact", "kontakt", "only", "also", "too", "please", "ask",
))  # fmt: skip

_LINK_SERVICES = [
    (re.compile(r"(?:t|telegram)\.me/(?:joinchat/|\+)?([a-z0-9_]{4,32})", re.IGNORECASE), "telegram"),
    (re.compile(r"wa\.me/\+?(\d{7,15})|whatsapp\.com/send\?phone=\+?(\d{7,15})", re.IGNORECASE), "whatsapp"),
    (re.compile(r"signal\.me/#p/\+?(\d{7,15})", re.IGNORECASE), "signal"),
    (re.compile(r"viber://(?:chat|add)\?number=(?:%2B|\+)?(\d{7,15})", re.IGNORECASE), "viber"),
    (re.compile(r"instagram\.com/([a-z0-9_.]{2,30})", re.IGNORECASE), "instagram"),
    (re.compile(r"snapchat\.com/add/([a-z0-9_.\-]{3,15})", re.IGNORECASE), "snapchat"),
    (re.compile(r"line\.me/(?:ti/p/~?|R/ti/p/~?)@?([a-z0-9_.\-]{3,20})", re.IGNORECASE), "line"),
]
URL = re.compile(
    r"(?<![\w@.])(?:https?://|www\.|(?:t|wa|telegram|signal|line)\.me/|viber://|(?:instagram|snapchat)\.com/)"
    r"[^\s<>\"'\]\)]+",
    re.IGNORECASE,
)
# Pre-filter: str.find-speed checks on the lower-cased text before any regex over it.
_LINK_KEYS = ("http", "www.", ".me/", ".com/", "viber:")
_NAME_KEYS = (
    "telegra", "whats", "signal", "viber", "wechat", "we chat", "weixin", "微信", "snap", "insta", "line id", "skype",
    "телег", "ватсап", "вотсап", "вацап", "сигнал", "вайбер", "вичат", "инстаграм", "інстаграм", "скайп",
)  # fmt: skip
_SHORT_NAMES = re.compile(r"\b(?:tg|тг|wa|ig|line)\b")
_TRAILING = ".,;:!?)]}'\""


class HandleHit(NamedTuple):
    kind: str  # "handle" or "link"
    start: int
    end: int
    raw: str
    value: str  # 'service:handle' or the URL; phone handles carry the digits ('+447...')


def _service_at(match: re.Match) -> str:
    return next(k for k, v in match.groupdict().items() if v)


def services_for_phone(text: str, start: int, end: int) -> list[str]:
    """Phone-capable services that label the phone at ``start:end``: "WhatsApp/Viber: <phone>", "<phone> (WhatsApp)".

    Only connecting words may stand between the name and the number, so in "tg @anna / tel 612..." the
    phone is not a Telegram id.
    """
    found: list[str] = []
    before = text[max(0, start - 40) : start].rsplit("\n", 1)[-1]
    names = list(_SERVICE.finditer(before))
    for i, m in enumerate(names):
        tail = before[m.end() :]
        for later in names[i + 1 :]:
            tail = tail.replace(later.group(), " ")
        if _CONNECT.fullmatch(tail):
            found.append(_service_at(m))
    after = text[end : end + 30].split("\n", 1)[0]
    m = _AFTER_PHONE.match(after)
    if m:
        found += [_service_at(n) for n in _SERVICE.finditer(m.group("names"))]
    return list(dict.fromkeys(s for s in found if s in PHONE_SERVICES))


def find_links(text: str) -> list[HandleHit]:
    hits = []
    for match in URL.finditer(text):
        raw = match.group().rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(raw)
        url = raw if "://" in raw else "https://" + raw
        hits.append(HandleHit("link", start, end, raw, url))
        for pattern, service in _LINK_SERVICES:
            found = pattern.search(raw)
            if found:
                handle = next(g for g in found.groups() if g)
                handle = "+" + handle if service in PHONE_SERVICES and handle.isdigit() else handle.lower()
                hits.append(HandleHit("handle", start, end, raw, f"{service}:{handle}"))
                break
    return hits


def find_handles(text: str) -> list[HandleHit]:
    """Handles named by their service, and links (with the handle a messenger link carries)."""
    low = text.lower()
    has_at = "@" in text
    hits = find_links(text) if any(k in low for k in _LINK_KEYS) else []
    in_links = [(h.start, h.end) for h in hits]
    taken: set[int] = set()
    names = []
    if any(k in low for k in _NAME_KEYS) or ((has_at or ":" in text) and _SHORT_NAMES.search(low)):
        names = [(m.start(), m.end(), _service_at(m)) for m in _SERVICE.finditer(text)]
        names += [(m.start(), m.end(), "line") for m in _LINE_UPPER.finditer(text)]
    for _start, name_end, service in sorted(names):
        if any(s <= name_end <= e for s, e in in_links):
            continue
        found = _AFTER_NAME.match(text, name_end)
        if not found:
            continue
        handle = found.group("handle")
        start, end = found.span("handle")
        bare = handle.lstrip("@")
        if bare.lower() in _NOT_HANDLES or start in taken:
            continue
        if not handle.startswith("@") and not found.group("sep") and not re.search(r"[\d_]", bare):
            continue  # "Telegram today": a word after the name, not a handle
        if service == "signal" and _SIGNAL_USERNAME.fullmatch(bare):
            pass  # Signal usernames end in .digits: "anna.01"
        elif not handle.startswith("@") and (service in PHONE_SERVICES and service != "telegram"):
            continue  # "WhatsApp me", "Viber only": these services' ids are phone numbers
        if text[end : end + 1] == "@" or (
            not handle.startswith("@") and "." in bare and service not in ("skype", "signal")
        ):
            continue  # an e-mail address or a domain, not a handle
        taken.add(start)
        hits.append(HandleHit("handle", start, end, handle, f"{service}:{bare.lower()}"))
    for match in _AT_HANDLE.finditer(text) if has_at and names else ():
        if match.start() in taken:
            continue
        before = text[max(0, match.start() - 40) : match.start()].rsplit("\n", 1)[-1]
        services = [_service_at(m) for m in _SERVICE.finditer(before)]
        if not services:
            continue
        service = services[-1]
        hits.append(
            HandleHit("handle", match.start(), match.end(), match.group(), f"{service}:{match['handle'].lower()}")
        )
    hits.sort(key=lambda h: (h.start, h.kind))
    return hits
