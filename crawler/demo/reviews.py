"""The "reviews" demo platform: a Yelp/Trustpilot-style review site (engine preset ``yelpish``).

Layout (all links root-relative)::

    /                       home: featured categories
    /categories             category directory
    /c/<category>[?page=N]  business cards, 5 per page ("Next ›", rel=next)
    /biz/<slug>[?page=N]    business page: header, contact box, reviews 8 per page
    /latest[?page=N]        latest review activity, 20 per page, newest (posted or edited) first, the
                            latest 200 only; each row links to the review on its business page
    /user/<id>              reviewer profile (linked from every review; not crawled)
    /about                  static page
    /write-review?biz=...   linked, disallowed by robots.txt (not served)
    /login                  linked, disallowed by robots.txt (not served)

At scale=1: 3 categories (employment agencies, massage & spa, hotels; hotels
rate on a 1-10 scale), 7 businesses each, 0-25 reviews per business. Three
employment agencies carry a recruiter's phone (from :mod:`crawler.demo.world`)
in their contact box and again, written differently, in their description and
in a review the recruiter posted; victims' reviews describe exploitation in
several languages. This module holds the world model, its generation and the
ground truth; :mod:`crawler.demo.reviews_pages` renders the HTML.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from crawler.demo.base import REFERENCE_NOW, BuildOptions, Page
from crawler.demo.world import (
    Person,
    format_phone,
    ordinary_people,
    recruiters,
    recruitment_template,
    recruitment_text,
)
from crawler.extract import normalise_rating

NAME = "reviews"
PLATFORM_TYPE = "review"
BUSINESSES_PER_CATEGORY = 7
BUSINESSES_PER_PAGE = 5
REVIEWS_PER_PAGE = 8
FEED_PER_PAGE = 20
FEED_LIMIT = 200  # the latest-activity feed shows this many reviews, as real "latest reviews" pages do
MAX_REVIEWS = 25
PLANTED_PER_AGENCY_CATEGORY = 3
RELATIVE_TOLERANCE_S = 120

# (kind, rating scale, category names: the first is used at scale 1, the others as the site grows)
_CATEGORY_KINDS = (
    ("agency", 5, ["Employment agencies", "Recruitment & staffing", "Temp work agencies", "Au pair agencies"]),
    ("spa", 5, ["Massage & spa", "Nail salons", "Beauty salons", "Wellness centres"]),
    ("hotel", 10, ["Hotels", "Hostels", "Guest houses", "Serviced apartments"]),
)
_NAME_PARTS = {
    "agency": (["EuroJobs", "Nordstern", "FlexiWork", "Baltic", "Prime", "Atlas", "CareerLink", "Rhein", "StarJobs",
                "Global Hands", "Bridge", "Danube", "Horizon", "Union"],
               ["Staffing", "Personal", "Recruitment", "Work Abroad", "Jobs", "Personaldienst", "Labour Partners"]),
    "spa": (["Lotus", "Oasis", "Thai Garden", "Blue Lagoon", "Serenity", "Bamboo", "Golden Hands", "Jade", "Aqua",
             "Orchid", "Zen", "Silk"],
            ["Day Spa", "Wellness", "Massage", "Massage Studio", "Spa & Sauna", "Beauty Lounge"]),
    "hotel": (["Alster", "Harbour", "City", "Park", "Central", "Old Town", "Riverside", "Grand", "Station", "Garden",
               "Royal", "Lindenhof"],
              ["Hotel", "Inn", "Residence", "Suites", "Boutique Hotel", "Guest House"]),
}  # fmt: skip
# city, country code, country name, street names, postcode range, phone prefix (digits after it are random)
_CITIES = (
    ("Hamburg", "DE", "Germany", ["Hafenstraße", "Mönckebergstraße", "Lange Reihe"], (20095, 22769), "+49 40"),
    ("Berlin", "DE", "Germany", ["Kastanienallee", "Torstraße", "Sonnenallee"], (10115, 14199), "+49 30"),
    ("London", "GB", "United Kingdom", ["Commercial Road", "Baker Street", "Old Kent Road"], None, "+44 20 7946 0"),
    ("Lyon", "FR", "France", ["Rue de la République", "Cours Lafayette", "Rue Mercière"], (69001, 69009), "+33 4"),
    ("Bucharest", "RO", "Romania", ["Strada Lipscani", "Calea Victoriei", "Bulevardul Unirii"], (10011, 62999),
     "+40 21"),
    ("Vienna", "AT", "Austria", ["Mariahilfer Straße", "Favoritenstraße", "Praterstraße"], (1010, 1230), "+43 1"),
)  # fmt: skip
_UK_POSTCODES = ("E1 6AN", "NW1 6XE", "SE1 5EU", "E14 7HS", "N1 9GU")
_USER_LANGUAGE = {"DE": "de", "FR": "fr", "RO": "ro"}
_MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
    "ro": ["ianuarie", "februarie", "martie", "aprilie", "mai", "iunie", "iulie", "august", "septembrie",
           "octombrie", "noiembrie", "decembrie"],
}  # fmt: skip
_RELATIVE = {
    "en": {"hours": "{n} hours ago", "days": "{n} days ago", "weeks": "{n} weeks ago"},
    "de": {"hours": "vor {n} Stunden", "days": "vor {n} Tagen", "weeks": "vor {n} Wochen"},
    "fr": {"hours": "il y a {n} heures", "days": "il y a {n} jours", "weeks": "il y a {n} semaines"},
    "ro": {"hours": "acum {n} ore", "days": "acum {n} zile", "weeks": "acum {n} săptămâni"},
}

# Review wording: language -> kind ("any" for all kinds) -> positive / negative sentences.
_SENTENCES = {
    "en": {
        "agency": (["They found me a warehouse job within two weeks.", "My consultant explained every clause of the "
                    "contract before I signed.", "Payslips were always correct and on time.",
                    "They helped me with the paperwork for my tax number."],
                   ["Nobody called me back after the interview.", "They promised a full-time contract and I got two "
                    "days a week.", "Wages arrived late twice in three months.", "The office was closed every time "
                    "I came by."]),
        "spa": (["The massage was relaxing and the therapist listened to what I needed.", "Very clean rooms and calm "
                 "music.", "The sauna area was spotless."],
                ["The appointment started twenty minutes late.", "The room was cold and the towels were not fresh.",
                 "Too expensive for what you get."]),
        "hotel": (["Comfortable bed and a quiet room facing the courtyard.", "Breakfast had a good choice of fresh "
                   "bread and fruit.", "Five minutes walk to the station, perfect location."],
                  ["The walls are thin and we heard the neighbours all night.", "Wi-Fi did not work in our room.",
                   "Check-in took almost an hour."]),
        "any": (["Friendly staff and fair prices.", "Would recommend to friends.", "I will definitely come back."],
                ["Not recommended.", "Disappointing overall.", "Customer service did not answer my emails."]),
    },
    "de": {
        "agency": (["Ich hatte nach zwei Wochen eine feste Stelle im Lager.", "Der Vertrag wurde mir genau erklärt."],
                   ["Nach dem Gespräch hat sich niemand mehr gemeldet.", "Der Lohn kam zweimal zu spät."]),
        "spa": (["Die Massage war sehr entspannend.", "Alles sauber und ruhig."],
                ["Der Termin begann zwanzig Minuten zu spät.", "Viel zu teuer für das Gebotene."]),
        "hotel": (["Bequemes Bett und ein ruhiges Zimmer.", "Das Frühstück war reichhaltig."],
                  ["Die Wände sind sehr dünn.", "Das WLAN ging im Zimmer nicht."]),
        "any": (["Freundliches Personal, gerne wieder.", "Klare Empfehlung!"],
                ["Nicht zu empfehlen.", "Insgesamt enttäuschend."]),
    },
    "fr": {
        "agency": (["J'ai trouvé un poste en entrepôt en deux semaines.", "Le contrat m'a été bien expliqué."],
                   ["Personne ne m'a rappelé après l'entretien.", "Le salaire est arrivé en retard deux fois."]),
        "spa": (["Le massage était très relaxant.", "Tout était propre et calme."],
                ["Le rendez-vous a commencé avec vingt minutes de retard.", "Trop cher pour ce que c'est."]),
        "hotel": (["Lit confortable et chambre calme.", "Le petit déjeuner était copieux."],
                  ["Les murs sont très fins.", "Le wifi ne marchait pas dans la chambre."]),
        "any": (["Personnel sympathique, je recommande.", "Très bon rapport qualité-prix."],
                ["Je ne recommande pas.", "Décevant dans l'ensemble."]),
    },
    "ro": {
        "agency": (["Mi-au găsit un loc de muncă în depozit în două săptămâni.", "Contractul mi-a fost explicat clar."],
                   ["Nu m-a mai sunat nimeni după interviu.", "Salariul a întârziat de două ori."]),
        "spa": (["Masajul a fost foarte relaxant.", "Totul a fost curat și liniștit."],
                ["Programarea a început cu douăzeci de minute întârziere.", "Prea scump pentru ce oferă."]),
        "hotel": (["Pat comod și cameră liniștită.", "Micul dejun a fost bogat."],
                  ["Pereții sunt foarte subțiri.", "Internetul nu a mers în cameră."]),
        "any": (["Personal amabil, recomand.", "Raport calitate-preț foarte bun."],
                ["Nu recomand.", "Dezamăgitor per total."]),
    },
}  # fmt: skip
_TITLES = {
    "en": (
        ["Great experience", "Highly recommended", "Exactly what I needed", "Very professional", "Five stars"],
        ["Disappointing", "Would not go again", "Avoid", "Not as advertised", "Poor service"],
    ),
    "de": (["Sehr zufrieden", "Top!", "Gerne wieder"], ["Enttäuschend", "Nie wieder", "Nicht empfehlenswert"]),
    "fr": (["Très satisfait", "Parfait", "Je recommande"], ["Décevant", "À éviter", "Pas terrible"]),
    "ro": (["Foarte mulțumit", "Recomand", "Excelent"], ["Dezamăgitor", "Nu recomand", "Evitați"]),
}
_OWNER_REPLIES = {
    "en": ["Thank you for taking the time to write this review. We hope to welcome you again soon.",
           "We are sorry to read about your experience. Please contact our office so we can look into it."],
    "de": ["Vielen Dank für Ihre Bewertung, wir freuen uns auf Ihren nächsten Besuch.",
           "Es tut uns leid, dass Sie unzufrieden waren. Bitte melden Sie sich direkt bei uns."],
    "fr": ["Merci pour votre avis, à bientôt !", "Nous sommes désolés de votre expérience, contactez-nous svp."],
    "ro": ["Vă mulțumim pentru recenzie!", "Ne pare rău pentru experiența dvs., vă rugăm să ne contactați."],
}  # fmt: skip
_EXPLOITATION = [
    ("en", "They took my passport",
     "They took my passport on the first day in {city} and said I would get it back when I had paid back the "
     "travel debt. We worked 14 hours a day, no pay for the first two months. Stay away."),
    ("en", "Had to pay back the travel debt",
     "The job in {city} was not what they promised. I had to pay back the travel debt from my wages and they kept "
     "my ID card. Twelve of us slept in one flat and we were not allowed to leave."),
    ("de", "Pass abgenommen, kein Lohn",
     "Am ersten Tag in {city} haben sie mir den Pass abgenommen. Ich sollte zuerst die Reiseschulden zurückzahlen. "
     "Wir haben 14 Stunden am Tag gearbeitet, ohne Lohn. Finger weg!"),
    ("fr", "Arnaque, ils gardent les passeports",
     "Ils ont pris mon passeport dès mon arrivée à {city}. Il fallait rembourser la dette du voyage avant de le "
     "récupérer. On travaillait 14 heures par jour, sans salaire. Fuyez !"),
    ("ro", "Mi-au luat pașaportul",
     "Mi-au luat pașaportul în prima zi la {city} și mi-au spus că trebuie să plătesc datoria pentru drum. Am lucrat "
     "14 ore pe zi, fără plată. Nu mergeți la ei!"),
]  # fmt: skip
_DESCRIPTIONS = {
    "agency": ["{name} connects workers with employers in logistics, construction and hospitality around {city}.",
               "Registration is free. Bring your ID and CV; we answer within two working days.",
               "Founded in {year}, we place more than 300 people a year in temporary and permanent jobs."],
    "spa": ["{name} is a quiet place in the heart of {city} for massages, facials and sauna.",
            "Our certified therapists offer Swedish, Thai and hot-stone massage.",
            "Open since {year}. Gift vouchers available at the reception."],
    "hotel": ["{name} offers {rooms} rooms a short walk from the centre of {city}.",
              "Breakfast is served from 6:30 to 10:30. Free Wi-Fi in all rooms.",
              "Family-run since {year}; pets welcome on request."],
}  # fmt: skip
# Ground truth for near-duplicates: every planted agency's description starts with the same paragraph.
AGENCY_DESCRIPTION_TEMPLATE = "reviews:agency-description"
_PLANTED_DESCRIPTION = (
    "{name} arranges work abroad in hospitality, cleaning and care. Travel and accommodation are organised for you."
)
_HOSTILE_TITLE = 'Great <script>alert("owned")</script> place'
_HOSTILE_TEXT = "Check the <img src=x onerror=alert(1)> price list & the </div> fine print before you book."
_REVISION_NOTES = {
    "en": "Update: they contacted me afterwards and sorted it out.",
    "de": "Nachtrag: Man hat sich inzwischen bei mir gemeldet.",
    "fr": "Mise à jour : ils m'ont recontacté depuis.",
    "ro": "Actualizare: m-au contactat între timp.",
}
_CHANGE_NOTE = "Edit: I went back a second time and it was the same."
_BUSINESS_REVISION_NOTE = "New: from this month we are also open on Sundays."


def slugify(text: str) -> str:
    """ASCII lower-case slug, as review sites put in business URLs."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text).split())


@dataclass
class User:
    id: str
    name: str
    location: str
    language: str
    person: Person | None = None
    reviews: list[Review] = field(default_factory=list)


@dataclass
class OwnerResponse:
    text: str
    posted_at: datetime
    posted_at_raw: str


@dataclass
class Review:
    id: str
    author: User
    rating: int
    title: str
    paragraphs: list[str]
    language: str
    posted_at: datetime
    posted_at_raw: str
    date_mode: str  # "time" (<time datetime>), "text" (absolute date as text) or "relative" ("3 days ago")
    business: Business | None = None
    owner_response: OwnerResponse | None = None
    persons: list[str] = field(default_factory=list)
    text_template: str | None = None  # ground truth for near-duplicates: the reused template its text is made of
    edited_at: datetime | None = None  # change_fraction: when its author edited it ("Edited <date>")

    @property
    def activity_at(self) -> datetime:
        """The latest-activity feed's sort key: the edit if any, else the posting."""
        return self.edited_at or self.posted_at


@dataclass
class Business:
    slug: str
    name: str
    category: Category
    street: str
    postal_code: str
    city: str
    country: str
    country_name: str
    phone: str | None
    website: str | None
    email: str | None
    description: list[str]
    price_level: str
    reviews: list[Review] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    text_template: str | None = None  # ground truth for near-duplicates: the reused template its text is made of

    @property
    def address(self) -> str:
        if self.country == "GB":
            return f"{self.street}, {self.city} {self.postal_code}, {self.country_name}"
        return f"{self.street}, {self.postal_code} {self.city}, {self.country_name}"

    @property
    def address_parts(self) -> dict[str, str]:
        return {"street": self.street, "postal_code": self.postal_code, "city": self.city, "country": self.country_name}

    @property
    def contacts(self) -> list[str]:
        return [c for c in (self.phone, self.email, self.website) if c]

    @property
    def aggregate(self) -> float | None:
        """The average rating as the site shows it, one decimal."""
        if not self.reviews:
            return None
        return round(sum(r.rating for r in self.reviews) / len(self.reviews) + 1e-9, 1)

    @property
    def review_pages(self) -> int:
        return max(1, -(-len(self.reviews) // REVIEWS_PER_PAGE))

    def page_path(self, page: int) -> str:
        return f"/biz/{self.slug}" if page == 1 else f"/biz/{self.slug}?page={page}"

    def page_of(self, review: Review) -> int:
        return self.reviews.index(review) // REVIEWS_PER_PAGE + 1


@dataclass
class Category:
    slug: str
    name: str
    kind: str
    scale: int
    businesses: list[Business] = field(default_factory=list)

    @property
    def list_pages(self) -> int:
        return max(1, -(-len(self.businesses) // BUSINESSES_PER_PAGE))

    def page_path(self, page: int) -> str:
        return f"/c/{self.slug}" if page == 1 else f"/c/{self.slug}?page={page}"


class ReviewSite:
    """A built review platform: the world model, its pages and its ground truth."""

    name = NAME

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self.categories: list[Category] = []
        self.users: list[User] = []
        self.edited: list[tuple[str, str]] = []  # (kind, native_id) of the listings revision 1 changed
        _Generator(self).run()
        if options.revision >= 1:
            self._apply_revision()
        self.changed: list[tuple[str, str]] = []  # (kind, native_id) of the listings change_fraction changed
        if options.change_fraction > 0:
            self._apply_changes()

    @property
    def businesses(self) -> list[Business]:
        return [b for c in self.categories for b in c.businesses]

    @property
    def reviews(self) -> list[Review]:
        return [r for b in self.businesses for r in b.reviews]

    def _apply_changes(self) -> None:
        """BuildOptions.change_fraction: a seeded share of the listings (reviews) edited by their authors. As on
        real review sites, an edited review stays where it is on its business's pages (they are sorted by posting
        date), is marked "Edited <date>", and moves to the top of the latest-activity feed; the business card
        (rating, review count, latest review) does not change."""
        rng = random.Random(f"{NAME}-{self.options.seed}-changes")
        reviews = self.reviews
        count = max(1, round((len(reviews) + len(self.businesses)) * self.options.change_fraction))
        for minutes, review in enumerate(rng.sample(reviews, min(count, len(reviews))), start=1):
            review.paragraphs = [*review.paragraphs, _CHANGE_NOTE]
            review.edited_at = (self.options.now - timedelta(minutes=minutes)).astimezone(UTC).replace(second=0)
            self.changed.append(("review", review.id))

    def feed(self) -> list[Review]:
        """The latest-activity feed: the newest reviews by posting or edit, at most FEED_LIMIT."""
        ordered = sorted(self.reviews, key=lambda r: (r.activity_at, r.id), reverse=True)
        return ordered[:FEED_LIMIT]

    @property
    def feed_pages(self) -> int:
        return max(1, -(-min(len(self.reviews), FEED_LIMIT) // FEED_PER_PAGE))

    @staticmethod
    def feed_path(page: int) -> str:
        return "/latest" if page == 1 else f"/latest?page={page}"

    def _apply_revision(self) -> None:
        """Edit a fixed, seeded ~5% of the listings: business descriptions and review texts."""
        rng = random.Random(f"{NAME}-{self.options.seed}-revision")
        items: list[Business | Review] = [*self.businesses, *self.reviews]
        for item in rng.sample(items, max(1, round(len(items) * 0.05))):
            if isinstance(item, Business):
                item.description = [*item.description, _BUSINESS_REVISION_NOTE]
                self.edited.append(("business", item.slug))
            else:
                item.paragraphs = [*item.paragraphs, _REVISION_NOTES.get(item.language, _REVISION_NOTES["en"])]
                self.edited.append(("review", item.id))

    @cached_property
    def _pages(self) -> dict[str, Page]:
        from crawler.demo.reviews_pages import render_site

        return render_site(self)

    def pages(self) -> dict[str, Page]:
        return dict(self._pages)

    def truth(self, base_url: str, site: str) -> list[dict[str, Any]]:
        base = base_url.rstrip("/")
        out: list[dict[str, Any]] = []
        for business in self.businesses:
            out.append(self._business_truth(business, base, site))
            for review in business.reviews:
                out.append(self._review_truth(review, business, base, site))
        return out

    def _business_truth(self, business: Business, base: str, site: str) -> dict[str, Any]:
        scale = float(business.category.scale)
        item: dict[str, Any] = {
            "_id": f"{site}:business:{business.slug}",
            "site": site,
            "platform_type": PLATFORM_TYPE,
            "kind": "business",
            "url": base + business.page_path(1),
            "native_id": business.slug,
            "title": business.name,
            "body": "\n".join(business.description),
            "location": {"raw": business.address},
            "category": business.category.name,
            "rating": normalise_rating(business.aggregate, scale) if business.aggregate is not None else {},
            "contacts": {"raw": business.contacts},
            "extra": {"review_count": len(business.reviews), "address": business.address_parts},
        }
        if business.persons:
            item["_truth"] = {"persons": list(business.persons)}
        if business.text_template:
            item.setdefault("_truth", {})["text_templates"] = [AGENCY_DESCRIPTION_TEMPLATE, business.text_template]
        return item

    def _review_truth(self, review: Review, business: Business, base: str, site: str) -> dict[str, Any]:
        scale = float(business.category.scale)
        item: dict[str, Any] = {
            "_id": f"{site}:review:{review.id}",
            "site": site,
            "platform_type": PLATFORM_TYPE,
            "kind": "review",
            "url": base + business.page_path(business.page_of(review)),
            "native_id": review.id,
            "title": review.title,
            "body": "\n".join(review.paragraphs),
            "author": {"name": review.author.name, "id": review.author.id, "url": f"{base}/user/{review.author.id}"},
            "rating": normalise_rating(float(review.rating), scale),
            "posted_at": review.posted_at.isoformat(),
            "posted_at_raw": review.posted_at_raw,
            "language": review.language,
            "parent_id": f"{site}:business:{business.slug}",
            "category": business.category.name,
            "extra": {},
        }
        if review.owner_response:
            response = review.owner_response
            item["extra"]["owner_response"] = {"text": response.text, "posted_at_raw": response.posted_at_raw}
        marks: dict[str, Any] = {}
        if review.persons:
            marks["persons"] = list(review.persons)
        if review.date_mode == "relative":
            marks["posted_at_tolerance_s"] = RELATIVE_TOLERANCE_S
        if review.text_template:
            marks["text_templates"] = [review.text_template]
        if marks:
            item["_truth"] = marks
        return item


def format_date(moment: datetime, language: str, mode: str) -> str:
    """A date as the site shows it: short numeric/abbreviated inside <time>, long month name as plain text."""
    if mode == "time":
        if language == "en":
            return f"{_MONTHS['en'][moment.month - 1][:3]} {moment.day}, {moment.year}"
        if language == "fr":
            return moment.strftime("%d/%m/%Y")
        if language in ("de", "ro"):
            return moment.strftime("%d.%m.%Y")
        return moment.strftime("%Y-%m-%d")
    month = _MONTHS[language][moment.month - 1]
    if language == "de":
        return f"{moment.day}. {month} {moment.year}"
    return f"{moment.day} {month} {moment.year}"


class _Generator:
    """Fills a :class:`ReviewSite` from one seeded random stream (never the clock)."""

    def __init__(self, site: ReviewSite) -> None:
        self.site = site
        self.options = site.options
        self.rng = random.Random(f"{NAME}-{self.options.seed}")
        self.slugs: set[str] = set()
        self.names: set[str] = set()
        self.next_review_id = 204000
        self.hostile_left = 2

    def run(self) -> None:
        scale = max(1, self.options.scale)
        people = ordinary_people(self.options.seed, 40 * scale)
        self.site.users = [self._user(p) for p in people]
        self.recruiters = recruiters()
        planted = 0
        for unit in range(scale):
            for kind, rating_scale, names in _CATEGORY_KINDS:
                name = names[unit % len(names)] + (f" ({unit // len(names) + 1})" if unit >= len(names) else "")
                category = Category(slugify(name), name, kind, rating_scale)
                self.site.categories.append(category)
                plant_at = set(self.rng.sample(range(BUSINESSES_PER_CATEGORY), PLANTED_PER_AGENCY_CATEGORY))
                for index in range(BUSINESSES_PER_CATEGORY * max(1, self.options.depth)):
                    recruiter = None
                    if kind == "agency" and index in plant_at:
                        recruiter = self.recruiters[(planted + 1) % len(self.recruiters)]
                        planted += 1
                    business = self._business(category, recruiter)
                    category.businesses.append(business)
                    self._reviews(business, recruiter, forced=(index, unit))
        self.site.users = [u for u in self.site.users if u.reviews]
        for user in self.site.users:
            user.reviews.sort(key=lambda r: r.posted_at, reverse=True)

    def _user(self, person: Person) -> User:
        first, last = person.name.split(" ", 1)
        language = _USER_LANGUAGE.get(person.country, "en") if self.rng.random() < 0.6 else "en"
        return User(f"{self.rng.getrandbits(40):010x}", f"{first} {last[0]}.", f"{person.city}, {person.country}",
                    language)  # fmt: skip

    def _unique_name(self, kind: str) -> str:
        first, second = _NAME_PARTS[kind]
        for _ in range(50):
            name = f"{self.rng.choice(first)} {self.rng.choice(second)}"
            if name not in self.names:
                break
        else:
            name = f"{name} {len(self.names)}"
        self.names.add(name)
        return name

    def _business(self, category: Category, recruiter: Person | None) -> Business:
        rng = self.rng
        name = self._unique_name(category.kind)
        if category.kind == "spa" and len(self.site.categories) == 2 and not category.businesses:
            name = 'Müller & Söhne "Wellness" <Spa>'  # hostile markup in a name: must be escaped everywhere
        city, country, country_name, streets, postcodes, prefix = rng.choice(_CITIES)
        slug = base = slugify(f"{name} {city}")
        while slug in self.slugs:
            slug = f"{base}-{len(self.slugs)}"
        self.slugs.add(slug)
        postal = rng.choice(_UK_POSTCODES) if postcodes is None else f"{rng.randint(*postcodes):05d}"
        if country == "AT":
            postal = postal.lstrip("0")
        digits = "".join(str(rng.randrange(10)) for _ in range(8))
        if country == "GB":
            phone = f"{prefix}{digits[:3]}"
        elif country == "RO":  # Bucharest: 021 and seven digits
            phone = f"{prefix} {digits[:3]} {digits[3:7]}"
        else:
            phone = f"{prefix} {digits[:4]} {digits[4:]}"
        values = {"name": name, "city": city, "year": rng.randint(1978, 2019), "rooms": rng.randint(12, 180)}
        description = [t.format(**values) for t in _DESCRIPTIONS[category.kind][: rng.randint(2, 3)]]
        website: str | None = f"www.{slugify(name)}.example" if rng.random() < 0.7 else None
        email = None
        business = Business(slug, name, category, f"{rng.choice(streets)} {rng.randint(1, 180)}", postal, city,
                            country, country_name, phone if rng.random() < 0.9 else None, website, email,
                            description, rng.choice(["€", "€€", "€€€"]))  # fmt: skip
        if recruiter is not None and recruiter.phone:
            styles = ["dotted", "zero-zero", "spaced-digits", "dashed"]
            contact_style, text_style = rng.sample(styles, 2)
            business.phone = format_phone(recruiter.phone, contact_style)
            business.email = recruiter.email if rng.random() < 0.5 else None
            business.website = None
            business.description = [_PLANTED_DESCRIPTION.format(name=name),
                                    recruitment_text(recruiter, rng, text_style)]  # fmt: skip
            business.persons = [recruiter.key]
            business.text_template = recruitment_template(recruiter)
        return business

    def _reviews(self, business: Business, recruiter: Person | None, forced: tuple[int, int]) -> None:
        rng = self.rng
        count = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 22, 25])
        if forced == (1, 0):
            count = MAX_REVIEWS  # at least one business with the most review pages
        elif forced == (4, 0):
            count = 0
        if recruiter is not None:
            count = max(count, 4)
        ordinary = [u for u in self.site.users if u.person is None]
        authors = rng.sample(ordinary, count - (recruiter is not None))
        planted: list[tuple[str, str, str, User, list[str], str]] = []
        if recruiter is not None:
            author = User(f"{rng.getrandbits(40):010x}", recruiter.handle, f"{recruiter.city}, {recruiter.country}",
                          recruiter.language, recruiter)  # fmt: skip
            self.site.users.append(author)
            style = rng.choice(["international", "national", "dashed"])
            text = recruitment_text(recruiter, rng, style, variant=1)
            planted.append((recruiter.language, "Best agency, real jobs abroad!", text, author, [recruiter.key],
                            recruitment_template(recruiter, 1)))  # fmt: skip
            for language, title, template in rng.sample(_EXPLOITATION, 2):
                text = template.format(city=rng.choice(["Dubai", "Milan", "London"]))
                key = f"exploitation:{[t for _l, _t, t in _EXPLOITATION].index(template)}"
                planted.append((language, title, text, authors.pop(), [recruiter.key], key))
        slots = [None] * (count - len(planted)) + planted
        rng.shuffle(slots)
        moment = REFERENCE_NOW - timedelta(days=rng.randint(20, 40), minutes=rng.randint(0, 1439))
        relative_left = rng.choice([0, 0, 1, 2])
        for position, slot in enumerate(slots):
            if slot is None:
                review = self._ordinary_review(business, authors.pop())
            else:
                language, title, text, author, persons, key = slot
                rating = 1 if author.person is None else business.category.scale
                review = Review("", author, rating, title, [text], language, moment, "", "time", persons=persons,
                                text_template=key)  # fmt: skip
            review.id = str(self.next_review_id)
            self.next_review_id += rng.randint(1, 97)
            review.business = business
            self._date(review, moment, relative_left > position and review.language in _RELATIVE, position)
            moment -= timedelta(minutes=rng.randint(600, 60 * 24 * 45))
            business.reviews.append(review)
            review.author.reviews.append(review)

    def _ordinary_review(self, business: Business, author: User) -> Review:
        rng = self.rng
        kind, scale = business.category.kind, business.category.scale
        language = author.language
        stars = rng.choices([1, 2, 3, 4, 5], weights=[2, 1, 2, 4, 5])[0]
        rating = stars if scale == 5 else min(10, max(1, stars * 2 - rng.randint(0, 1)))
        positive = stars >= 3
        words = _SENTENCES[language]
        pool = words[kind][0 if positive else 1] + words["any"][0 if positive else 1]
        sentences = rng.sample(pool, rng.randint(1, min(4, len(pool))))
        paragraphs = [" ".join(sentences[:2])] + ([" ".join(sentences[2:])] if len(sentences) > 2 else [])
        title = rng.choice(_TITLES[language][0 if positive else 1])
        if self.hostile_left and rng.random() < 0.05:
            self.hostile_left -= 1
            title, paragraphs = _HOSTILE_TITLE, [*paragraphs, _HOSTILE_TEXT]
        review = Review("", author, rating, title, paragraphs, language, REFERENCE_NOW, "", "time")
        if rng.random() < (0.2 if positive else 0.5):
            reply = _OWNER_REPLIES[language][0 if positive else 1]
            review.owner_response = OwnerResponse(reply, REFERENCE_NOW, "")
        return review

    def _date(self, review: Review, moment: datetime, relative: bool, position: int) -> None:
        """Set the review's date and how it is displayed; relative dates hang off ``options.now``."""
        rng = self.rng
        if relative:
            unit, amount = [("hours", rng.randint(2, 20)), ("days", rng.randint(2, 6)), ("weeks", 2)][min(position, 2)]
            review.posted_at = self.options.now.astimezone(UTC) - timedelta(**{unit: amount})
            review.posted_at_raw = _RELATIVE[review.language][unit].format(n=amount)
            review.date_mode = "relative"
            review.owner_response = None
            return
        if review.language in _MONTHS and rng.random() < 0.12:
            review.date_mode = "text"
            review.posted_at = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            review.date_mode = "time"
            review.posted_at = moment.replace(second=0, microsecond=0)
        review.posted_at_raw = format_date(moment, review.language, review.date_mode)
        if review.owner_response:
            answered = review.posted_at + timedelta(days=rng.randint(1, 12), hours=rng.randint(1, 9))
            review.owner_response.posted_at = answered
            review.owner_response.posted_at_raw = format_date(answered, "en", "time")


def build(options: BuildOptions) -> ReviewSite:
    """Generate the review platform for ``options`` (same options, same bytes)."""
    return ReviewSite(options)
