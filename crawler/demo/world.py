"""The people and wording shared by all demo platforms, so cross-platform links exist.

A handful of *recruiters* post on several platforms with the same phone number
written differently, the same messenger handle, and recruitment-style wording
in several languages. Everything is derived from the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers


@dataclass(frozen=True)
class Person:
    key: str  # stable key used in ground truth ("R1", "U17"...)
    name: str
    handle: str  # platform user name
    phone: str | None  # E.164
    telegram: str | None
    email: str | None
    country: str  # ISO alpha-2
    city: str
    language: str  # ISO 639-1 of what they write
    recruiter: bool


# Numbers in ranges reserved for drama/fiction or unallocated blocks where possible.
_RECRUITER_SEEDS = [
    ("Viktor Petrenko", "viktor_work", "+447700900123", "GB", "London", "en"),
    ("Anna Keller", "anna_jobs_de", "+4915112345678", "DE", "Berlin", "de"),
    ("Ionela Popescu", "ionela_munca", "+40721234567", "RO", "Bucharest", "ro"),
    ("Marco Ruiz", "marco_empleo", "+34612345678", "ES", "Madrid", "es"),
    ("Oksana Bondar", "oksana_robota", "+380501234567", "UA", "Kyiv", "uk"),
    ("Piotr Nowak", "piotr_praca", "+48512345678", "PL", "Warsaw", "pl"),
]

_FIRST = ["Alex", "Maria", "John", "Elena", "Tom", "Sofia", "Lukas", "Nina", "Omar", "Irina", "Paul", "Daria",
          "Jan", "Lea", "Mihai", "Olga", "Ben", "Chloe", "Ivan", "Sara"]  # fmt: skip
_LAST = ["Smith", "Muller", "Ionescu", "Garcia", "Kowalski", "Shevchenko", "Brown", "Dubois", "Jansen", "Rossi",
         "Novak", "Lopez", "Weber", "Popa", "Ivanova"]  # fmt: skip
_CITIES = [("GB", "Manchester"), ("DE", "Hamburg"), ("RO", "Cluj-Napoca"), ("ES", "Valencia"), ("PL", "Krakow"),
           ("NL", "Rotterdam"), ("FR", "Lyon"), ("UA", "Lviv")]  # fmt: skip


def recruiters() -> list[Person]:
    out = []
    for i, (name, handle, phone, country, city, lang) in enumerate(_RECRUITER_SEEDS, start=1):
        out.append(
            Person(
                key=f"R{i}",
                name=name,
                handle=handle,
                phone=phone,
                telegram=f"{handle}_tg",
                email=f"{handle.replace('_', '.')}@example.net",
                country=country,
                city=city,
                language=lang,
                recruiter=True,
            )
        )
    return out


def ordinary_people(seed: int, count: int) -> list[Person]:
    rng = random.Random(f"people-{seed}")
    people = []
    for i in range(1, count + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        country, city = rng.choice(_CITIES)
        people.append(
            Person(
                key=f"U{i}",
                name=f"{first} {last}",
                handle=f"{first.lower()}{last[:3].lower()}{i}",
                phone=None,
                telegram=None,
                email=None,
                country=country,
                city=city,
                language="en",
                recruiter=False,
            )
        )
    return people


PHONE_STYLES = ("international", "national", "dashed", "dotted", "zero-zero", "spaced-digits")


def format_phone(e164: str, style: str) -> str:
    """The same number as people write it: ``+44 7700 900123``, ``07700 900123``, ``07700-900-123``..."""
    number = phonenumbers.parse(e164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits_national = "".join(c for c in national if c.isdigit())
    if style == "international":
        return international
    if style == "national":
        return national
    if style == "dashed":
        return "-".join(digits_national[i : i + 3] for i in range(0, len(digits_national), 3))
    if style == "dotted":
        return ".".join(digits_national[i : i + 2] for i in range(0, len(digits_national), 2))
    if style == "zero-zero":
        return "00" + international.lstrip("+")
    if style == "spaced-digits":
        return " ".join(digits_national)
    raise ValueError(f"unknown phone style {style!r}")


# Recruitment-style wording (red flags: travel and visa paid, no experience,
# accommodation provided, salary far above market, young women wanted).
RECRUITMENT_TEXTS: dict[str, list[str]] = {
    "en": [
        "Work abroad in {city}! Travel and visa paid, accommodation provided. No experience needed. "
        "Earn {salary} per week. Young women wanted, 18-25. Call {phone}",
        "Urgent: hostess jobs in {city}, flight ticket paid by us, we keep your passport safe. Salary {salary}. "
        "Write on Telegram @{telegram}",
    ],
    "de": [
        "Arbeit im Ausland in {city}! Reise und Visum bezahlt, Unterkunft gestellt. Keine Erfahrung nötig. "
        "Verdienst {salary} pro Woche. Junge Frauen gesucht. Tel. {phone}",
    ],
    "ro": [
        "Munca in strainatate la {city}! Transport si viza platite, cazare asigurata. Fara experienta. "
        "Castig {salary} pe saptamana. Cautam fete tinere. Sunati la {phone}",
    ],
    "es": [
        "Trabajo en el extranjero en {city}. Viaje y visado pagados, alojamiento incluido. Sin experiencia. "
        "Gana {salary} por semana. Se buscan chicas jovenes. Llama al {phone}",
    ],
    "uk": [
        "Робота за кордоном у місті {city}! Дорогу та візу оплачуємо, житло надаємо. Досвід не потрібен. "
        "Заробіток {salary} на тиждень. Шукаємо молодих дівчат. Телефон {phone}",
    ],
    "pl": [
        "Praca za granica w {city}! Przejazd i wiza oplacone, zakwaterowanie zapewnione. Bez doswiadczenia. "
        "Zarobki {salary} tygodniowo. Szukamy mlodych kobiet. Dzwon {phone}",
    ],
}

DESTINATIONS = ["Dubai", "London", "Berlin", "Milan", "Amsterdam", "Madrid", "Vienna", "Istanbul"]


def recruitment_template(person: Person, variant: int = 0) -> str:
    """Ground truth for near-duplicate text: the key of the template :func:`recruitment_text` fills for ``variant``.

    Every text made from one template is a near-duplicate of the others (only city, salary, phone and handle
    change), whichever platform it is posted on.
    """
    return f"recruitment:{person.language}:{variant % len(RECRUITMENT_TEXTS[person.language])}"


def recruitment_text(person: Person, rng: random.Random, phone_style: str, variant: int = 0) -> str:
    templates = RECRUITMENT_TEXTS[person.language]
    template = templates[variant % len(templates)]
    return template.format(
        city=rng.choice(DESTINATIONS),
        salary=f"{rng.randrange(8, 30) * 100} EUR",
        phone=format_phone(person.phone, phone_style) if person.phone else "",
        telegram=person.telegram or "",
    )
