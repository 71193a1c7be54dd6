"""The demo marketplace: a classifieds site ("Bazario") in the OLX/Gumtree/Craigslist mould.

Layout (all links root-relative)::

    /                       category list, latest ads, popular searches
    /c/<slug>               result page 1 of a category (12 cards, numbered pages, rel="next")
    /c/<slug>?page=N        result page N
    /ad/<id>                one ad (h1.ad-title, span.price, ul.attributes, div.seller, div.contact...)
    /user/<id>              a seller's profile: their ads, as plain links
    /img/<ad>-<n>.jpg       an ad's photos (:mod:`crawler.demo.photos`; reposts show the original's, re-encoded)
    /about /help /terms     static pages
    /search?q=...           linked from every page, disallowed by robots.txt, never served
    /account/login          linked from every page, disallowed by robots.txt, never served

At scale 1: 4 categories x 30 ads = 120 ads (3 result pages each), 15 of them
by recruiters (12 in Jobs, 3 in Services), 4 of them reposts of an older ad by
another account (3 recruiter, 1 rental scam). This module makes the data and
the ground truth; :mod:`crawler.demo.market_pages` renders the HTML.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crawler.demo.base import REFERENCE_NOW, BuildOptions, Page
from crawler.demo.photos import MISSING, NOT_AN_IMAGE, Photo
from crawler.demo.world import (
    DESTINATIONS,
    PHONE_STYLES,
    Person,
    format_phone,
    ordinary_people,
    recruiters,
    recruitment_template,
    recruitment_text,
)

NAME = "market"
PLATFORM_TYPE = "marketplace"
DEFAULT_PORT = 8472
TIMEZONE = "Europe/Berlin"  # the site's clock; the site profile must say the same
TZ = ZoneInfo(TIMEZONE)
PER_PAGE = 12
ADS_PER_CATEGORY = 30
RECRUITER_SLOTS = {"jobs": 9, "services": 3}  # recruiter originals per category of that kind
REPOSTS = {"jobs": 3, "housing": 1}  # reposts per category of that kind
EDIT_SHARE = 0.05
REMOVED_ADS = 3  # revision 2 takes this many ads down


@dataclass
class Seller:
    id: str
    name: str
    since: int
    business: bool
    country: str
    city: str
    phone: str | None = None  # E.164
    email: str | None = None
    person: Person | None = None  # set for recruiters' accounts


@dataclass
class Category:
    slug: str
    name: str
    kind: str  # jobs / housing / services / sale
    ads: list[Ad] = field(default_factory=list)  # newest first

    def page_path(self, page: int) -> str:
        return f"/c/{self.slug}" if page == 1 else f"/c/{self.slug}?page={page}"

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.ads) // PER_PAGE))


@dataclass
class Ad:
    id: str
    category: Category
    title: str
    paragraphs: list[str]
    price_raw: str
    amount: float | None
    currency: str | None
    price_style: tuple[str, int, str]  # (currency, variant, unit): how to re-render an edited price
    location: str
    seller: Seller
    posted_text: str
    posted_attr: str | None  # the <time datetime> value, None when the page shows only text
    posted_at: datetime
    relative: bool
    images: list[str]
    contacts: list[tuple[str, str]]  # (kind, line as shown)
    attributes: list[tuple[str, str]]
    persons: list[str] = field(default_factory=list)
    repost_of: str | None = None
    views: int = 0
    photos: list[Photo] = field(default_factory=list)  # what each of ``images`` shows (ground truth for photo links)
    text_template: str | None = None  # ground truth for near-duplicates: the reused template its text is made of
    updated_text: str | None = None  # "Updated ..." on its result card, set by BuildOptions.change_fraction

    @property
    def path(self) -> str:
        return f"/ad/{self.id}"


def format_price(amount: float | None, currency: str | None, variant: int = 0, unit: str = "") -> str:
    """A price as the site shows it: ``€ 1.250``, ``1 250,00 zł``, ``£950/month``, ``2500 lei``, ``$1,200``."""
    if amount is None:
        return "Negotiable"
    if amount == 0:
        return "Free"
    whole = int(amount)
    cents = round((amount - whole) * 100)
    if currency == "EUR":
        grouped = f"{whole:,}".replace(",", ".")
        return f"€ {grouped}{unit}" if variant == 0 else f"{grouped} €{unit}"
    if currency == "GBP":
        return (f"£{whole:,}" if not cents else f"£{amount:,.2f}") + unit
    if currency == "PLN":
        return f"{whole:,}".replace(",", " ") + f",{cents:02d} zł{unit}"
    if currency == "RON":
        return f"{whole} lei{unit}"
    return f"${whole:,}{unit}"


def _relative_moment(now: datetime, delta: timedelta) -> datetime:
    """``now - delta`` reckoned on the site's wall clock, as a date parser resolves "3 days ago"."""
    local = now.astimezone(TZ).replace(tzinfo=None) - delta
    return local.replace(tzinfo=TZ).astimezone(UTC)


class _Builder:
    """Makes the sellers, categories and ads in a fixed order from one seeded random generator."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self.rng = random.Random(f"{NAME}-{options.seed}")
        self.next_ad = 10001
        self.next_user = 1001
        self.categories: list[Category] = []
        self.sellers: list[Seller] = []
        self.recruiter_accounts: dict[str, list[Seller]] = {}
        self.recruiter_turn = self.rng.randrange(6)
        self.photo_copies: dict[str, int] = {}  # subject -> copies made (not drawn from rng: the ads stay the same)

    # -- people ------------------------------------------------------------

    def _new_user_id(self) -> str:
        uid = f"u{self.next_user}"
        self.next_user += self.rng.randint(1, 9)
        return uid

    def make_sellers(self) -> None:
        rng = self.rng
        for person in ordinary_people(self.options.seed, 50 * self.options.scale):
            business = rng.random() < 0.15
            name = person.name if rng.random() < 0.7 else person.handle
            if business:
                name = f"{person.name.split()[1]} {rng.choice(BUSINESS_SUFFIXES)}"
            phone = None
            if rng.random() < 0.6:
                prefix, digits = PHONE_PREFIXES[person.country]
                phone = prefix + "".join(str(rng.randrange(10)) for _ in range(digits))
            email = f"{person.handle}@example.com" if rng.random() < 0.3 else None
            self.sellers.append(
                Seller(self._new_user_id(), name, rng.randint(2012, 2026), business, person.country, person.city,
                       phone, email)
            )  # fmt: skip
        for person in recruiters():
            first, last = person.name.split()
            names = [f"{first} {last[0]}.", rng.choice(AGENCY_NAMES).format(city=person.city, last=last)]
            self.recruiter_accounts[person.key] = [
                Seller(self._new_user_id(), n, rng.randint(2024, 2026), i == 1, person.country, person.city,
                       person.phone, person.email, person)
                for i, n in enumerate(names)
            ]  # fmt: skip

    # -- categories and ads --------------------------------------------------

    def make_categories(self) -> None:
        used: set[str] = set()
        for i in range(4 * self.options.scale):
            kind, base = CATEGORY_KINDS[i % 4]
            if i < 4:
                name = base
            else:
                pool = SUBCATEGORIES[kind]
                round_, sub = divmod(i // 4 - 1, len(pool))
                name = f"{base} \u2013 {pool[sub]}" + (f" {round_ + 1}" if round_ else "")
            slug = "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
            assert slug not in used
            used.add(slug)
            self.categories.append(Category(slug, name, kind))

    def posted(self, age: timedelta) -> tuple[str, str | None, datetime, bool]:
        """(text, datetime attribute, posted_at, relative?) for an ad posted ``age`` before the reference time."""
        rng = self.rng
        hours = age.total_seconds() / 3600
        roll = rng.random()
        if hours < 6 * 24 and roll < 0.35:
            german = rng.random() < 0.4
            if hours < 24:
                n = max(1, round(hours))
                delta, text = timedelta(hours=n), (f"vor {n} Stunden" if german else f"{n} hours ago")
                if n == 1:
                    text = "vor 1 Stunde" if german else "1 hour ago"
            else:
                n = max(1, int(hours // 24))
                delta = timedelta(days=n)
                if n == 1:
                    text = "gestern" if german else "yesterday"
                else:
                    text = f"vor {n} Tagen" if german else f"{n} days ago"
            return text, None, _relative_moment(self.options.now, delta), True
        moment = (REFERENCE_NOW - age).replace(second=0, microsecond=0)
        local = moment.astimezone(TZ)
        if hours > 20 * 24 and roll > 0.7:
            day = local.replace(hour=0, minute=0, tzinfo=None).replace(tzinfo=TZ)
            return day.strftime("%d.%m.%Y"), None, day.astimezone(UTC), False
        month = MONTHS[local.month - 1]
        text = rng.choice(
            [
                f"{local.day} {month} {local.year}, {local:%H:%M}",
                f"{local:%d.%m.%Y %H:%M}",
                f"{month} {local.day}, {local.year}",
            ]
        )
        return text, local.isoformat(), moment, False

    def price_for(
        self, kind: str, country: str, recruiter: bool
    ) -> tuple[float | None, str | None, tuple[str, int, str]]:
        rng = self.rng
        currency = CURRENCY_BY_COUNTRY[country]
        rate = RATES[currency]
        variant = rng.randrange(2)
        if kind == "jobs":
            if recruiter:
                unit, base = "/week", rng.randrange(6, 20) * 100
            elif currency == "GBP" and rng.random() < 0.5:
                return rng.choice([10.5, 11.5, 12.25, 13.0, 14.75]), currency, (currency, variant, "/hour")
            else:
                unit, base = "/month", rng.randrange(14, 40) * 100
            if rng.random() < (0.5 if recruiter else 0.2):
                return None, None, (currency, variant, unit)
        elif kind == "housing":
            unit, base = "/month", rng.randrange(3, 16) * 100
        elif kind == "services":
            if rng.random() < 0.3:
                return None, None, (currency, variant, "/hour")
            unit, base = "/hour", rng.randrange(2, 8) * 5
        else:
            if rng.random() < 0.08:
                return 0.0, None, (currency, variant, "")
            unit, base = "", rng.choice(SALE_PRICES)
        step = 50 if base * rate >= 1000 else 5
        amount = float(max(step, round(base * rate / step) * step))
        return amount, currency, (currency, variant, unit)

    def make_ad(self, category: Category, age: timedelta, recruiter: Person | None) -> Ad:
        rng = self.rng
        kind = category.kind
        ad_id = f"a{self.next_ad}"
        self.next_ad += rng.randint(1, 7)
        persons: list[str] = []
        template = None
        if recruiter is not None:
            seller = rng.choice(self.recruiter_accounts[recruiter.key])
            persons = [recruiter.key]
            text_style, line_style = rng.sample(RECRUITER_PHONE_STYLES, 2)
            variant = rng.randrange(2)
            template = recruitment_template(recruiter, variant)
            title = rng.choice(RECRUITER_TITLES.get(recruiter.language, []) + RECRUITER_TITLES["en"])
            paragraphs = [recruitment_text(recruiter, rng, text_style, variant), rng.choice(RECRUITER_CLOSINGS)]
            contacts = [("phone", format_phone(recruiter.phone or "", line_style))]
            if rng.random() < 0.3:
                other = next(s for s in RECRUITER_PHONE_STYLES if s not in (text_style, line_style))
                contacts.append(("whatsapp", f"WhatsApp: {format_phone(recruiter.phone or '', other)}"))
            if rng.random() < 0.8:
                contacts.append(("telegram", f"Telegram: @{recruiter.telegram}"))
            if rng.random() < 0.4:
                contacts.append(("email", recruiter.email or ""))
            attributes = [(k, rng.choice(v)) for k, v in RECRUITER_ATTRIBUTES]
            photos = [self.photo_copy(f"recruiter-{recruiter.key}")]  # one photo the recruiter puts on every ad
            images = [f"/img/{ad_id}-1.jpg"]
            city = recruiter.city
        else:
            seller = rng.choice(self.sellers)
            title, paragraphs, attributes = benign_ad(kind, rng)
            contacts = []
            if seller.phone:
                contacts.append(("phone", format_phone(seller.phone, rng.choice(("international", "national")))))
            if seller.email:
                contacts.append(("email", seller.email))
            images = [f"/img/{ad_id}-{n}.jpg" for n in range(1, rng.randint(0, 5) + 1)]
            photos = [self.photo_copy(f"{ad_id}-{n}") for n in range(1, len(images) + 1)]
            city = seller.city
        district = rng.choice(DISTRICTS.get(city, [""]))
        location = f"{city}, {district}" if district else city
        amount, currency, style = self.price_for(kind, seller.country, recruiter is not None)
        text, attr, posted_at, relative = self.posted(age)
        return Ad(
            ad_id, category, title, paragraphs, format_price(amount, currency, style[1], style[2]), amount, currency,
            style, location, seller, text, attr, posted_at, relative, images, contacts, attributes, persons,
            views=rng.randint(3, 2500), text_template=template, photos=photos,
        )  # fmt: skip

    def photo_copy(self, subject: str) -> Photo:
        """The next use of photograph ``subject``: as first posted the first time, re-encoded after that."""
        copy = self.photo_copies.get(subject, -1) + 1
        self.photo_copies[subject] = copy
        return Photo(subject, copy)

    def repost(self, original: Ad, category: Category, age: timedelta) -> Ad:
        """The same ad by another account of the same person, with a small edit."""
        rng = self.rng
        ad = self.make_ad(category, age, None)  # a fresh id, date and account to start from
        if original.persons:
            accounts = self.recruiter_accounts[original.persons[0]]
            seller = accounts[1] if original.seller is accounts[0] else accounts[0]
        else:  # another private account, preferably in the same country (same currency)
            others = [s for s in self.sellers if s is not original.seller]
            seller = next((s for s in others if s.country == original.seller.country), others[0])
        paragraphs = list(original.paragraphs)
        contacts = list(original.contacts)
        amount, location = original.amount, original.location
        person = seller.person
        phone = person.phone if person else None
        shown = (
            [format_phone(phone, s) for s in PHONE_STYLES if format_phone(phone, s) in paragraphs[0]] if phone else []
        )
        if phone and shown:  # the same text with the number written another way
            fresh = [format_phone(phone, s) for s in RECRUITER_PHONE_STYLES if format_phone(phone, s) != shown[0]]
            paragraphs[0] = paragraphs[0].replace(shown[0], rng.choice(fresh))
        elif city := next((c for c in DESTINATIONS if c in paragraphs[0]), None):
            paragraphs[0] = paragraphs[0].replace(city, rng.choice([c for c in DESTINATIONS if c != city]))
        elif amount:
            amount += 50
        if phone:  # and the contact line too
            used = {line.split(": ", 1)[-1] for _kind, line in contacts} | set(shown)
            fresh = [format_phone(phone, s) for s in RECRUITER_PHONE_STYLES if format_phone(phone, s) not in used]
            contacts = [(k, rng.choice(fresh) if k == "phone" else line) for k, line in contacts]
            location = person.city if person else location
        else:
            contacts = [("phone", format_phone(seller.phone, "national"))] if seller.phone else []
        _currency, variant, unit = original.price_style
        photos = [self.photo_copy(p.subject) for p in original.photos if not p.broken]  # the photos, re-encoded
        return replace(
            ad, title=original.title, paragraphs=paragraphs, contacts=contacts, seller=seller, location=location,
            amount=amount, currency=original.currency, price_style=original.price_style,
            price_raw=format_price(amount, original.currency if amount else None, variant, unit),
            attributes=list(original.attributes), persons=list(original.persons), repost_of=original.id,
            images=[f"/img/{ad.id}-{n}.jpg" for n in range(1, len(photos) + 1)], photos=photos,
            text_template=original.text_template,
        )  # fmt: skip

    def fill_category(self, category: Category) -> None:
        rng = self.rng
        n = ADS_PER_CATEGORY * max(1, self.options.depth)
        ages, total = [], timedelta()
        for _ in range(n):
            total += timedelta(minutes=rng.randint(90, 3600))
            ages.append(total)  # ages[0] is the newest
        recruiter_slots = set(rng.sample(range(n), RECRUITER_SLOTS.get(category.kind, 0)))
        reposts = REPOSTS.get(category.kind, 0)
        # Reposts copy the oldest recruiter ads (a rental ad in housing) into newer, ordinary slots.
        originals = sorted(recruiter_slots)[-reposts:] if recruiter_slots and reposts else []
        if category.kind == "housing":
            originals = [rng.randrange(n // 2, n)]
        free = [s for s in range(min(originals, default=0)) if s not in recruiter_slots]
        repost_pairs: dict[int, int] = {}  # newer slot -> older (original) slot
        for original in originals[: len(free)]:
            repost_pairs[free.pop(rng.randrange(len(free)))] = original
        people = recruiters()
        by_slot: dict[int, Ad] = {}
        for slot in range(n - 1, -1, -1):  # oldest first, so ids grow with time
            if slot in repost_pairs:
                ad = self.repost(by_slot[repost_pairs[slot]], category, ages[slot])
            else:
                recruiter = None
                if slot in recruiter_slots:  # in turn, so every recruiter posts here
                    recruiter = people[self.recruiter_turn % len(people)]
                    self.recruiter_turn += 1
                ad = self.make_ad(category, ages[slot], recruiter)
            by_slot[slot] = ad
        category.ads = [by_slot[s] for s in range(n)]


def _hostile(ads: list[Ad], rng: random.Random) -> None:
    """Put markup-looking text in a few benign ads: the renderer must escape it, the extractor must keep it as text."""
    benign = [a for a in ads if not a.persons and a.repost_of is None]
    for ad, (title_suffix, paragraph) in zip(rng.sample(benign, len(HOSTILE)), HOSTILE, strict=True):
        ad.title += title_suffix
        ad.paragraphs.append(paragraph)


def _break_photos(ads: list[Ad]) -> None:
    """Plant the failures a photo fetcher meets: in the first two ordinary ads with several photos (not reposted),
    the last photo is gone (404) in one, and answers with an HTML error page in the other."""
    reposted = {a.repost_of for a in ads if a.repost_of}
    chosen = [a for a in ads if len(a.photos) >= 2 and not a.persons and not a.repost_of and a.id not in reposted]
    for ad, broken in zip(sorted(chosen, key=lambda a: a.id), (MISSING, NOT_AN_IMAGE), strict=False):
        ad.photos[-1] = replace(ad.photos[-1], broken=broken)


def _edit(ads: list[Ad], seed: int) -> list[str]:
    """Revision 1: change the price or the description of a fixed, seeded ~5% of the ads."""
    rng = random.Random(f"{NAME}-{seed}-revision")
    chosen = rng.sample(ads, max(1, round(len(ads) * EDIT_SHARE)))
    for ad in chosen:
        if ad.amount and rng.random() < 0.6:
            ad.amount = float(round(ad.amount * 0.9))
            _currency, variant, unit = ad.price_style
            ad.price_raw = format_price(ad.amount, ad.currency, variant, unit)
        else:
            ad.paragraphs.append(rng.choice(EDIT_NOTES))
    return sorted(a.id for a in chosen)


def _remove(categories: list[Category], seed: int, keep: set[str]) -> list[str]:
    """Revision 2: take a few ads down (seeded; never an edited ad, a repost or a recruiter's)."""
    rng = random.Random(f"{NAME}-{seed}-removal")
    candidates = [a for c in categories for a in c.ads if a.id not in keep and not a.persons and not a.repost_of]
    reposted = {a.repost_of for c in categories for a in c.ads if a.repost_of}
    chosen = {a.id for a in rng.sample([a for a in candidates if a.id not in reposted], REMOVED_ADS)}
    for category in categories:
        category.ads = [a for a in category.ads if a.id not in chosen]
    return sorted(chosen)


@dataclass
class Marketplace:
    """A built demo marketplace."""

    options: BuildOptions
    categories: list[Category]
    sellers: list[Seller]
    edited: list[str]
    removed: list[str] = field(default_factory=list)  # revision 2: ads taken down
    changed: list[str] = field(default_factory=list)  # BuildOptions.change_fraction: ads edited and bumped
    name: str = NAME

    @property
    def ads(self) -> list[Ad]:
        return [ad for category in self.categories for ad in category.ads]

    def pages(self) -> dict[str, Page]:
        from crawler.demo.market_pages import render_site

        return render_site(self)

    def truth(self, base_url: str, site: str) -> list[dict[str, Any]]:
        return [ad_truth(ad, base_url, site, ad.path) for ad in self.ads]

    @functools.cached_property
    def photos(self) -> dict[str, Photo]:
        """Every image path and the photo it shows."""
        return {path: photo for ad in self.ads for path, photo in zip(ad.images, ad.photos, strict=True)}

    def lazy_page(self, path: str) -> Page | None:
        """A page drawn on request rather than pre-rendered: the photos."""
        from crawler.demo import photos

        photo = self.photos.get(path)
        return photos.page(photo, self.options.seed) if photo else None


def ad_truth(ad: Ad, base_url: str, site: str, path: str) -> dict[str, Any]:
    """The listing a perfect crawl stores for ``ad`` served at ``path``."""
    base = base_url.rstrip("/")
    item: dict[str, Any] = {
        "_id": f"{site}:ad:{ad.id}",
        "site": site,
        "platform_type": PLATFORM_TYPE,
        "kind": "ad",
        "url": base + path,
        "native_id": ad.id,
        "title": " ".join(ad.title.split()),
        "body": "\n".join(" ".join(p.split()) for p in ad.paragraphs),
        "author": {"name": ad.seller.name, "id": ad.seller.id, "url": f"{base}/user/{ad.seller.id}"},
        "posted_at": ad.posted_at.isoformat(),
        "posted_at_raw": ad.posted_text,
        "location": {"raw": ad.location, "country": None, "city": None},
        "price": {"amount": ad.amount, "currency": ad.currency, "raw": ad.price_raw},
        "category": ad.category.name,
        "images": [base + src for src in ad.images],
        "contacts": {"raw": [line for _kind, line in ad.contacts]},
        "extra": {"attributes": dict(ad.attributes)},
    }
    marks: dict[str, Any] = {}
    if ad.persons:
        marks["persons"] = list(ad.persons)
    if ad.repost_of:
        marks["persons"] = list(ad.persons)
        marks["repost_of"] = ad.repost_of
    if ad.relative:
        marks["posted_at_tolerance_s"] = 120
    if ad.photos:  # which photograph each image shows (None: the URL plants a failure); same subject = same photo
        marks["photos"] = [None if p.broken else p.subject for p in ad.photos]
    if ad.text_template:
        marks["text_templates"] = [ad.text_template]
    if marks:
        item["_truth"] = marks
    return item


def build(options: BuildOptions | None = None) -> Marketplace:
    """Generate the marketplace for ``options`` (deterministic: same options, same pages)."""
    options = options or BuildOptions()
    builder = _Builder(options)
    builder.make_sellers()
    builder.make_categories()
    for category in builder.categories:
        builder.fill_category(category)
    ads = [ad for category in builder.categories for ad in category.ads]
    _hostile(ads, builder.rng)
    _break_photos(ads)
    edited = _edit(ads, options.seed) if options.revision >= 1 else []
    removed = _remove(builder.categories, options.seed, set(edited)) if options.revision >= 2 else []
    changed = _change(builder.categories, options) if options.change_fraction > 0 else []
    sellers = builder.sellers + [s for accounts in builder.recruiter_accounts.values() for s in accounts]
    return Marketplace(options, builder.categories, sellers, edited, removed, changed)


def _change(categories: list[Category], options: BuildOptions) -> list[str]:
    """Edit a seeded ``change_fraction`` of the ads; an edited ad is bumped to the top of its category with an
    "Updated" date on its card, as classifieds sorted by last activity show it."""
    ads = [a for c in categories for a in c.ads]
    rng = random.Random(f"{NAME}-{options.seed}-changes")
    chosen = rng.sample(ads, max(1, round(len(ads) * options.change_fraction)))
    for minutes, ad in enumerate(chosen, start=1):
        ad.paragraphs.append(CHANGE_NOTE)
        updated = (options.now - timedelta(minutes=minutes)).astimezone(TZ)
        ad.updated_text = "Updated " + updated.strftime("%d.%m. %H:%M")
    rank = {ad.id: n for n, ad in enumerate(chosen)}
    for category in categories:
        category.ads.sort(key=lambda a: rank.get(a.id, len(rank)))  # stable: the others keep their order
    return sorted(rank)


# ---------------------------------------------------------------------------
# Wording: what the ads say (module-level data, read by the builder above)
# ---------------------------------------------------------------------------

CHANGE_NOTE = "Update: still available, price negotiable."
CATEGORY_KINDS = [("jobs", "Jobs"), ("housing", "Housing"), ("services", "Services"), ("sale", "For sale")]
SUBCATEGORIES = {
    "jobs": ["Hospitality", "Construction", "Care", "Logistics", "Office", "IT", "Retail", "Farming", "Cleaning"],
    "housing": ["Rooms", "Flats to rent", "Flats for sale", "Short stays", "Garages", "Offices", "Houses"],
    "services": ["Tutoring", "Repairs", "Moving", "Beauty", "Childcare", "Photography", "Translation", "Garden"],
    "sale": ["Electronics", "Furniture", "Bikes", "Fashion", "Baby & kids", "Books", "Sports", "Garden", "Music"],
}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
BUSINESS_SUFFIXES = ["Services", "& Sons", "Trading", "Group", "Ltd."]
AGENCY_NAMES = ["{city} Work Agency", "Euro Jobs {last}", "Global Staff {city}", "{last} Recruitment"]
# Fictional-looking ranges, kept away from the recruiters' numbers in crawler.demo.world.
PHONE_PREFIXES = {
    "GB": ("+442079460", 3), "DE": ("+49176", 8), "RO": ("+40744", 6), "ES": ("+34655", 6),
    "PL": ("+48605", 6), "NL": ("+3165", 7), "FR": ("+3367", 7), "UA": ("+38067", 7),
}  # fmt: skip
CURRENCY_BY_COUNTRY = {"GB": "GBP", "DE": "EUR", "ES": "EUR", "NL": "EUR", "FR": "EUR", "PL": "PLN", "RO": "RON",
                       "UA": "USD"}  # fmt: skip
RATES = {"EUR": 1.0, "GBP": 0.85, "PLN": 4.3, "RON": 5.0, "USD": 1.1}
SALE_PRICES = [15, 25, 40, 60, 90, 120, 180, 250, 400, 650, 900, 1200, 2400]
DISTRICTS = {
    "London": ["Camden", "Hackney", "Croydon", "Ealing", ""], "Manchester": ["Didsbury", "Salford", "Ancoats", ""],
    "Berlin": ["Neukölln", "Kreuzberg", "Pankow", ""], "Hamburg": ["Altona", "Eimsbüttel", "Harburg", ""],
    "Bucharest": ["Sector 3", "Militari", "Titan", ""], "Cluj-Napoca": ["Mănăștur", "Gheorgheni", ""],
    "Madrid": ["Chamberí", "Vallecas", ""], "Valencia": ["Ruzafa", "Benimaclet", ""],
    "Warsaw": ["Mokotów", "Praga", "Wola", ""], "Krakow": ["Kazimierz", "Podgórze", ""],
    "Rotterdam": ["Kralingen", "Delfshaven", ""], "Lyon": ["Croix-Rousse", "Part-Dieu", ""],
    "Kyiv": ["Podil", "Obolon", ""], "Lviv": ["Sykhiv", "Halytskyi", ""],
}  # fmt: skip
RECRUITER_PHONE_STYLES = ["national", "dashed", "dotted", "zero-zero", "spaced-digits"]
RECRUITER_TITLES = {
    "en": ["Work abroad \u2013 hostess and model jobs", "Well-paid job in Dubai, travel paid",
           "Girls wanted for club work", "Au-pair abroad, visa and flight paid", "Easy money abroad \u2013 start now"],
    "de": ["Arbeit im Ausland \u2013 sofort starten", "Hostessen gesucht, Reise bezahlt"],
    "ro": ["Munca in strainatate, castig mare", "Fete pentru hostess in strainatate"],
    "es": ["Trabajo en el extranjero, viaje pagado"],
    "uk": ["Робота за кордоном для дівчат"],
    "pl": ["Praca za granica \u2013 wysokie zarobki"],
}  # fmt: skip
RECRUITER_CLOSINGS = [
    "Serious candidates only. Places are limited, write today.",
    "We arrange everything: tickets, documents, housing.",
    "Start next week. Contact me for details.",
    "No questions asked, cash every week.",
]
RECRUITER_ATTRIBUTES = [
    ("Job type", ["Full-time", "Seasonal"]),
    ("Experience", ["Not required", "None"]),
    ("Accommodation", ["Provided", "Free housing"]),
    ("Travel", ["Paid by employer", "Tickets paid"]),
]
BENIGN: dict[str, dict[str, Any]] = {
    "jobs": {
        "titles": ["Barista wanted, full time", "Warehouse operative (night shifts)", "Junior web developer",
                   "Delivery driver with own van", "Dental nurse", "Chef de partie for busy restaurant",
                   "Kitchen porter", "Office cleaner, 20h/week", "Hotel receptionist", "Forklift driver",
                   "Care assistant", "Retail sales assistant", "Electrician's mate", "Bookkeeper (part-time)"],
        "openers": ["We are a small family business looking for a reliable colleague.",
                    "Our team is growing and we need help from next month.",
                    "Established company with 40 staff is hiring."],
        "middles": ["You will work in a friendly team with fixed shifts.", "A valid work permit is required.",
                    "Training is provided during the first two weeks.", "Some weekend work, paid extra.",
                    "Good English is needed; German is a plus."],
        "closers": ["Please send your CV by e-mail.", "Call us between 9 and 17.", "Apply with a short cover letter."],
        "attributes": [("Job type", ["Full-time", "Part-time", "Temporary", "Contract"]),
                       ("Experience", ["1+ year", "2+ years", "Not required"]),
                       ("Contract", ["Permanent", "Fixed term"])],
    },
    "housing": {
        "titles": ["2-room flat near the park", "Room in shared flat, bills included", "Studio apartment, furnished",
                   "Zimmer in WG, möbliert", "Mieszkanie 2-pokojowe, balkon", "Bright 3-bedroom family house",
                   "Apartament 2 camere, ultracentral", "Loft with terrace", "Quiet room for a student"],
        "openers": ["Bright and quiet flat on the third floor.", "Nice room in a flat shared with two students.",
                    "Recently renovated, new kitchen and bathroom."],
        "middles": ["Five minutes to the metro and shops.", "Pets are welcome.", "Deposit of two months' rent.",
                    "Internet and heating included.", "No smokers please."],
        "closers": ["Viewings on weekday evenings.", "Available immediately.", "Write a few words about yourself."],
        "attributes": [("Rooms", ["1", "2", "3", "4"]), ("Size", ["18 m²", "35 m²", "54 m²", "72 m²", "96 m²"]),
                       ("Furnished", ["Yes", "No", "Partly"]),
                       ("Available from", ["01.11.2026", "15.11.2026", "01.12.2026", "Immediately"])],
    },
    "services": {
        "titles": ["Plumber \u2013 fast and reliable", "English lessons online", "House cleaning, weekly or one-off",
                   "Moving help with van", "Event photography", "Math tutoring for pupils",
                   "Computer repair at your home", "Hairdresser, home visits", "Garden maintenance",
                   "Translation EN/DE/PL"],
        "openers": ["Over ten years of experience.", "Qualified and insured.", "Friendly service at fair prices."],
        "middles": ["References available on request.", "I also work evenings and weekends.",
                    "Free quote before any work starts.", "Materials can be supplied."],
        "closers": ["Just call or send a message.", "First hour free for new customers.", "Invoices available."],
        "attributes": [("Service type", ["Home", "Online", "Workshop"]),
                       ("Availability", ["Weekdays", "Evenings", "Weekends", "24/7"]),
                       ("Area served", ["City only", "Up to 30 km", "Whole region"])],
    },
    "sale": {
        "titles": ["iPhone 13, 128 GB", "IKEA sofa, grey", 'Mountain bike 27.5"', "Baby stroller, barely used",
                   "PS5 with two controllers", "Dining table + 4 chairs", "Winter jacket, size M",
                   "Washing machine, 7 kg", "Vinyl records collection", "Electric guitar with amp",
                   "Kids' bicycle", "Coffee machine"],
        "openers": ["Selling because we are moving.", "In good condition, only light signs of use.",
                    "Bought last year, hardly used."],
        "middles": ["Original receipt available.", "Pickup only, ground floor.", "Can deliver for a small fee.",
                    "No returns, private sale."],
        "closers": ["First come, first served.", "Price is slightly negotiable.", "Serious buyers only."],
        "attributes": [("Condition", ["New", "Like new", "Used", "For parts"]),
                       ("Delivery", ["Pickup only", "Shipping possible"])],
    },
}  # fmt: skip
HOSTILE = [
    (" <b>URGENT</b>", "Best price & quality <script>alert('pwned')</script> \u2013 \"guaranteed\"."),
    ("", '</div></section><h1 class="ad-title">Injected</h1> Nothing to see here.'),
    (" & more", "Use code <img src=x onerror=alert(1)> for a discount, 100% <real> deal."),
]
EDIT_NOTES = [
    "Update: price reduced, still available.",
    "Edit: viewing possible this weekend.",
    "UPDATE \u2013 now with free delivery.",
]


def benign_ad(kind: str, rng: random.Random) -> tuple[str, list[str], list[tuple[str, str]]]:
    """Title, description paragraphs and attribute table of an ordinary ad."""
    words = BENIGN[kind]
    paragraphs = [rng.choice(words["openers"])]
    paragraphs.append(" ".join(rng.sample(words["middles"], rng.randint(1, 3))))
    if rng.random() < 0.6:
        paragraphs.append(rng.choice(words["closers"]))
    attributes = [(name, rng.choice(values)) for name, values in words["attributes"]]
    return rng.choice(words["titles"]), paragraphs, attributes
