"""The demo forum: a phpBB 3.3 board (prosilver style), "Expat Workers Forum".

Layout (all links root-relative, as phpBB writes them but without the ``./``)::

    /                                  board index: categories (div.forabg), boards (a.forumtitle)
    /viewforum.php?f=N                 a category (its boards) or a board (5 topics per page)
    /viewforum.php?f=N&start=5         board page 2...
    /viewtopic.php?t=N                 a topic, posts 1-10
    /viewtopic.php?t=N&start=10        posts 11-20...
    /app.php/help/faq                  a static help page
    /search.php?... /ucp.php?... /memberlist.php?... /posting.php?...
                                       linked from pages, disallowed by robots.txt, never served

Category and board ids share phpBB's one ``f`` sequence (category 1, boards
2-4, category 5...). Topic and post ids are global and chronological, as in
phpBB. At scale 1 (seed 7): 1 category, 3 boards ("Jobs abroad", "Travel &
visas" and a German off-topic board), 8 topics each (2 board pages each),
341 posts on 45 topic pages, 55 pages in all; 365 listings (24 threads + 341
posts), 44 of them showing a recruiter (a recruitment text, a quote of one,
or a signature with a phone). About 10% of the posts (32, the German board's
legacy posts) carry no ``<time>`` element, only a German text date, a few of
them relative ("gestern, 14:05"; how many depends on the build time of day).
These counts do not depend on the build time. Scale N makes N categories of
3 boards. Revision 1 appends an "EDIT:" line to 17 posts (5%), changing 18
listings.

This module makes the data and the ground truth; :mod:`crawler.demo.forum_pages`
renders the HTML.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from crawler.demo import forum_pages
from crawler.demo.base import BuildOptions, LoginGate, Page
from crawler.demo.forum_pages import POSTS_PER_PAGE, TOPICS_PER_PAGE
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

NAME = "forum"
PLATFORM_TYPE = "forum"
DEFAULT_PORT = 8471
TIMEZONE = "Europe/Berlin"  # the board's clock; the site profile says the same
THREADS_PER_BOARD = 8
MEMBERS_TOPICS = 4
MEMBERS_BOARD = "Verified job offers (members only)"
MEMBERS_DESCRIPTION = "Offers checked by the moderators, visible to registered members"
# The demo's one member account (the site profile demo-forum-members reads them from the environment).
MEMBER_USERNAME = "investigator"
MEMBER_PASSWORD = "trawler-demo-7"
LOGIN_PATH = "/ucp.php?mode=login"
EDIT_SHARE = 0.05
RECRUITER_REPLY_SHARE = 0.08  # replies by a recruiter in ordinary topics
LEGACY_SHARE = 0.25  # share of a German board's posts that have no <time> element

# --- wording --------------------------------------------------------------------------------------------------------

COUNTRIES = ["Norway", "Germany", "the Netherlands", "Ireland", "Austria", "Italy", "Spain", "Denmark"]
CITIES = [*DESTINATIONS, "Hamburg", "Rotterdam", "Dublin", "Oslo", "Lyon"]
AGENCIES = ["EuroStaff Partners", "Blue Bridge Recruitment", "Nordic Harvest Jobs", "Atlas Care Agency"]
REGIONS = ["United Kingdom", "Germany", "Romania", "Spain", "Poland", "Netherlands", "Italy", "Austria", "Ireland"]

# theme key -> (board name, description, language, date style)
THEMES = {
    "jobs": ("Jobs abroad", "Job offers, agencies, contracts and wages abroad. Report scams here.", "en", "en"),
    "travel": ("Travel & visas", "Visas, permits, border crossings and getting there cheaply.", "en", "dmy"),
    "de": ("Off-topic (Deutsch)", "Plauderecke für alles andere – auf Deutsch.", "de", "de"),
    "ro": ("Discuții (Română)", "Orice altceva, în limba română.", "ro", "ro"),
}

TITLES = {
    "jobs": [
        "Seasonal farm work in {country}: anyone tried it?", 'Is "{agency}" a legit agency?',
        "Care worker jobs in {city}, how to start?", "Real wages in {city} warehouses",
        "Recruiter contacted me on Facebook, scam or not?", "Working holiday visa for {country}",
        "Hotel jobs in {city} for the summer season", "How much can you actually save working in {city}?",
        "CV format for applying in {country}", "Agency wants a 'registration fee' - normal?",
    ],
    "travel": [
        "Schengen visa appointment wait times in {city}", "Cheapest way from {city} to {city2}?",
        "Do I need a work permit for {country}?", "Passport renewal abroad, how long did it take?",
        "Night bus vs plane to {city}", "Registering your address after moving to {country}",
        "Travel insurance for long stays", "Lost my residence card, what now?", "Taking pets to {country}",
    ],
    "de": [
        "Welche Serien schaut ihr gerade?", "Kochrezepte aus der Heimat", "Fußball am Wochenende",
        "Wohnungssuche in {city} ist ein Albtraum", "Deutschkurs: Empfehlungen?", "Nebenjobs in {city}",
        "Urlaub an der Ostsee", "Fahrrad gestohlen – was tun?", "Heimweh nach zwei Jahren",
    ],
    "ro": [
        "Ce seriale urmăriți acum?", "Chirii în {city}", "Rețete de acasă", "Curs de limbă: recomandări?",
        "Meci în weekend", "Dor de casă", "Magazin românesc în {city}?", "Bicicletă furată, ce fac?",
    ],
}  # fmt: skip

SENTENCES = {
    "jobs": [
        "I am thinking about moving to {city} for work next spring.",
        "A friend told me the agencies there take half of your salary.",
        "I have experience in construction and some basic English.",
        "The offer says accommodation is included but they want a deposit first.",
        "Has anyone here worked through an agency in {country}?",
        "They promised {salary} a month, which sounds too good to be true.",
        "Do they usually pay weekly or monthly?",
        "I don't want to end up without papers in a foreign country.",
    ],
    "travel": [
        "I am planning to travel to {city} in a few weeks.",
        "The consulate website is not very clear about this.",
        "Last time the border officer asked for a return ticket.",
        "My visa expires in two months.",
        "Is it better to book the appointment online or go in person?",
        "I'll be travelling with my two kids.",
        "The bus takes 30 hours but costs a third of the flight.",
    ],
    "de": [
        "Ich wohne jetzt seit einem Jahr in {city}.", "Mich würde eure Meinung interessieren.",
        "Bei uns im Viertel gibt es leider kaum Angebote.", "Am Wochenende habe ich endlich mal Zeit.",
        "Die Mieten sind in den letzten Jahren stark gestiegen.", "Hat jemand Tipps für Anfänger?",
        "Ich vermisse das Essen von zu Hause.",
    ],
    "ro": [
        "Locuiesc în {city} de un an.", "Aș vrea să aflu părerea voastră.",
        "Chiriile au crescut mult în ultimii ani.", "Îmi lipsește mâncarea de acasă.",
        "Are cineva sfaturi pentru începători?", "Vecinul meu mi-a recomandat asta.",
    ],
}  # fmt: skip
SENTENCES["en"] = SENTENCES["jobs"] + SENTENCES["travel"]

OPENERS = {"en": ["Hi all,", "Hello everyone,", "Hi,", "Hey guys,"], "de": ["Hallo zusammen,", "Hi,", "Moin,"],
           "ro": ["Salut tuturor,", "Bună,", "Salut,"]}  # fmt: skip
CLOSERS = {"en": ["Thanks in advance!", "Any advice is welcome.", "Cheers."], "de": ["Danke euch!", "LG"],
           "ro": ["Mulțumesc!", "Numai bine"]}  # fmt: skip
REPLIES = {
    "en": [
        "I did this two years ago and it was fine, just read the contract carefully.",
        "Never pay a fee upfront. Legit agencies are paid by the employer.",
        "Check the company in the official business register before you go.",
        "Same experience here, the wages were lower than promised.",
        "Keep copies of your passport and never hand over the original.",
        "Thanks, this is really helpful.", "Bump. I would also like to know.",
        "It depends on the season, summer is much busier.", "I paid about {salary} per month for a shared room.",
        "Good luck! Let us know how it goes.", "Not sure about {city}, but in {city2} it was okay.",
        "I waited about six weeks for my appointment.", "Ask for a written contract in a language you understand.",
    ],
    "de": [
        "Danke für den Tipp!", "Geht mir genauso.", "Schau mal bei der Volkshochschule, die Kurse sind günstig.",
        "Bei mir hat es drei Monate gedauert.", "Kann ich nur empfehlen.", "Das war bei uns ganz anders.",
        "Viel Glück!", "Am besten fragst du direkt beim Bürgeramt nach.", "Wir sollten mal einen Kaffee trinken.",
    ],
    "ro": [
        "Mulțumesc pentru pont!", "La fel și la mine.", "Mult succes!", "La mine a durat trei luni.",
        "Îți recomand cu drag.", "Întreabă direct la primărie.", "Eu am găsit ceva mai ieftin în {city}.",
    ],
}  # fmt: skip
WARNINGS = [
    "This looks like a scam. Nobody pays your visa for a hostess job.", "Be careful, people. Do not call this number.",
    "Reported to the moderators.", "Which company is this? No name, no address, no contract.",
    "The same text was posted on another site last week.",
]  # fmt: skip
QUOTE_REACTIONS = {"en": ["Is this legit?", "Has anyone called them?", "Exactly this."],
                   "de": ["Ist das seriös?", "Genau so."], "ro": ["E serios?", "Exact."]}  # fmt: skip
RECRUITER_TITLES = {
    "en": ["HIRING NOW: hostess and waitress jobs in {city}", "Well paid work abroad, travel paid!!!"],
    "de": ["Gut bezahlte Arbeit in {city} – Reise bezahlt!"], "ro": ["Lucru în străinătate – {city}, transport plătit"],
    "es": ["Trabajo bien pagado en {city}"], "uk": ["Робота за кордоном – {city}"], "pl": ["Praca za granicą – {city}"],
}  # fmt: skip
BUMPS = {"en": "Still hiring! Call {phone}", "de": "Noch Plätze frei! Tel. {phone}", "ro": "Mai avem locuri! {phone}",
         "es": "¡Quedan plazas! {phone}", "uk": "Ще є місця! {phone}", "pl": "Wciąż rekrutujemy! {phone}"}  # fmt: skip
CHANGE_NOTES = {
    "en": "UPDATE: details changed, see above.",
    "de": "UPDATE: Details geändert, siehe oben.",
    "ro": "ACTUALIZARE: detaliile s-au schimbat.",
}
EDITS = {"en": "EDIT: sorted now, thanks everyone.", "de": "EDIT: Hat sich erledigt, danke!",
         "ro": "EDIT: Rezolvat, mulțumesc!"}  # fmt: skip
HOSTILE = [
    "Someone sent me this: <script>alert('you have won')</script> lol",
    "Why does the forum show <b>tags</b> as text?",
    "Salary 1200 < 1500 & rent > 600, does that make sense?",
    "</div></div> oops, did I break the page? \"quotes\" & 'apostrophes'",
]
SIGNATURES = ["Sorry for my bad English", "Carpe diem", "Living abroad since {year}", "Be kind.",
              "Moved from {city} to {city2}\nStill learning the language"]  # fmt: skip
STICKY = (
    "Read first: how to spot fake job offers",
    [
        "Please read this before posting in this board.",
        "Never pay a fee to get a job. Never give your passport to an employer or an agency.",
        "If an offer promises travel, visa and accommodation paid with no experience needed, report it.",
    ],
)


# --- data model -----------------------------------------------------------------------------------------------------


@dataclass
class User:
    uid: int | None  # None for guests
    name: str
    person: Person | None = None
    colour: str | None = None
    rank: str | None = None
    signature: str | None = None
    joined: datetime | None = None
    location: str | None = None
    post_count: int = 0

    @property
    def profile_path(self) -> str | None:
        return None if self.uid is None else f"/memberlist.php?mode=viewprofile&u={self.uid}"


@dataclass(eq=False)
class Post:
    topic: Topic
    number: int  # 1-based position in the topic
    author: User
    at: datetime
    paragraphs: list[str]
    quote_of: Post | None = None
    has_time: bool = True
    persons: set[str] = field(default_factory=set)
    edit: str | None = None  # the paragraph revision 1 appends (set only when built at revision >= 1)
    pid: int = 0
    text_template: str | None = None  # ground truth for near-duplicates: the reused template its text is made of

    @property
    def subject(self) -> str:
        return self.topic.title if self.number == 1 else f"Re: {self.topic.title}"

    @property
    def body(self) -> str:
        return "\n".join([*self.paragraphs, *([self.edit] if self.edit else [])])

    @property
    def quote_text(self) -> str | None:
        return self.quote_of.paragraphs[0] if self.quote_of else None

    @property
    def page_start(self) -> int:
        return (self.number - 1) // POSTS_PER_PAGE * POSTS_PER_PAGE

    @property
    def page_path(self) -> str:
        return self.topic.page_path(self.page_start)


@dataclass(eq=False)
class Topic:
    board: Board
    title: str
    views: int
    sticky: bool = False
    posts: list[Post] = field(default_factory=list)
    tid: int = 0
    edited_at: datetime | None = None  # BuildOptions.change_fraction: its first post was edited then

    def page_path(self, start: int) -> str:
        return f"/viewtopic.php?t={self.tid}" + (f"&start={start}" if start else "")

    @property
    def page_starts(self) -> range:
        return range(0, len(self.posts), POSTS_PER_PAGE)


@dataclass(eq=False)
class Board:
    fid: int
    theme: str
    name: str
    description: str
    lang: str
    date_style: str
    category: Category
    topics: list[Topic] = field(default_factory=list)  # in display order: stickies, then latest activity first
    members_only: bool = False

    def page_path(self, start: int) -> str:
        return f"/viewforum.php?f={self.fid}" + (f"&start={start}" if start else "")

    @property
    def page_starts(self) -> range:
        return range(0, max(1, len(self.topics)), TOPICS_PER_PAGE)


@dataclass(eq=False)
class Category:
    fid: int
    name: str
    boards: list[Board] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/viewforum.php?f={self.fid}"


# --- generation -----------------------------------------------------------------------------------------------------


class _Generator:
    """Draws the whole forum from one seeded RNG, in a fixed order (users, then board by board)."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self.rng = random.Random(f"{NAME}-{options.seed}")
        self.anchor = options.now.replace(second=0, microsecond=0)
        self.recruiters = recruiters()
        self.recruiter_users: dict[str, User] = {}
        self.style_turn: dict[str, int] = {}
        self.users: list[User] = []

    def make_users(self, scale: int) -> None:
        rng = self.rng
        self.admin = User(2, "ForumAdmin", colour="AA0000", rank="Site Administrator",
                          signature="Please read the forum rules before posting.")  # fmt: skip
        self.moderator = User(48, "mod_sabine", colour="00AA00", rank="Moderator")
        uid = 53
        for person in ordinary_people(self.options.seed, 30 * scale):
            signature = None
            if rng.random() < 0.4:
                signature = rng.choice(SIGNATURES).format(
                    year=rng.randrange(2012, 2025), city=rng.choice(CITIES), city2=rng.choice(CITIES)
                )
            self.users.append(User(uid, person.handle, person=person, signature=signature, location=person.city))
            uid += rng.randrange(1, 4)
        for person in self.recruiters:
            signature = (
                f"{person.name} · International Staffing\nWhatsApp/Viber {format_phone(person.phone, 'international')}"
            )
            user = User(uid, person.handle, person=person, signature=signature, location=person.city)
            self.recruiter_users[person.key] = user
            uid += rng.randrange(1, 4)
        for user in [self.admin, self.moderator, *self.users, *self.recruiter_users.values()]:
            user.joined = self.anchor - timedelta(days=rng.randrange(500, 1500), minutes=rng.randrange(1440))

    def fill(self, text: str) -> str:
        rng = self.rng
        return text.format(
            city=rng.choice(CITIES), city2=rng.choice(CITIES), country=rng.choice(COUNTRIES),
            agency=rng.choice(AGENCIES), salary=f"{rng.randrange(8, 40) * 100} EUR",
        )  # fmt: skip

    def next_style(self, person: Person) -> str:
        """Cycle through phone styles per recruiter, so each number shows up written several ways."""
        turn = self.style_turn.get(person.key, self.rng.randrange(len(PHONE_STYLES)))
        self.style_turn[person.key] = turn + 1
        return PHONE_STYLES[turn % len(PHONE_STYLES)]

    def recruiter_for(self, lang: str) -> Person:
        """Any recruiter on English boards; one writing the board's language elsewhere."""
        by_lang = [p for p in self.recruiters if p.language == lang and lang != "en"]
        return self.rng.choice(by_lang or self.recruiters)

    def recruitment(self, person: Person, bump: bool = False) -> tuple[list[str], str | None]:
        """The paragraphs of a recruiter's post, and the key of the template they come from (None for a bump)."""
        rng = self.rng
        style = self.next_style(person)
        phone = format_phone(person.phone, style) if person.phone else ""
        template = None
        if bump:
            text = BUMPS[person.language].format(phone=phone)
        else:
            variant = rng.randrange(2)
            template = recruitment_template(person, variant)
            text = recruitment_text(person, rng, style, variant=variant)
        if "@" not in text and rng.random() < 0.4:
            text += f" Telegram: @{person.telegram}"
        return [text], template

    def ordinary_text(self, theme: str, lang: str, first: bool) -> list[str]:
        rng = self.rng
        pool = SENTENCES.get(theme) or SENTENCES[lang]
        if first:
            paragraphs = [
                f"{rng.choice(OPENERS[lang])} " + self.fill(rng.choice(pool)),
                " ".join(self.fill(s) for s in rng.sample(pool, rng.randrange(1, 3))),
                rng.choice(CLOSERS[lang]),
            ]
        else:
            paragraphs = [self.fill(s) for s in rng.sample(REPLIES[lang], rng.randrange(1, 3))]
        if rng.random() < 0.04:
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), rng.choice(HOSTILE))
        return paragraphs

    def post_times(self, count: int, recent: bool, lively: bool = False) -> list[datetime]:
        """Minute-precise times of a topic's posts, oldest first, all before the build time."""
        rng = self.rng
        if lively:
            last_age, max_span = rng.randrange(5, 8 * 60), 20 * 60
        else:
            last_age = rng.randrange(5, 30 * 60) if recent else rng.randrange(2 * 1440, 400 * 1440)
            max_span = 60 * 1440
        span = 0 if count == 1 else min(max_span, rng.randrange(count * 20, count * 1440))
        last = self.anchor - timedelta(minutes=last_age)
        offsets = sorted(rng.randrange(span + 1) for _ in range(count - 2))
        minutes = [0, *offsets, span][:count] if count > 1 else [0]
        return [last - timedelta(minutes=span - m) for m in minutes]

    def make_topic(self, board: Board, index: int) -> Topic:
        rng = self.rng
        theme, lang = board.theme, board.lang
        sticky = theme == "jobs" and index == 0
        starter: Person | None = None
        if sticky:
            title, count = STICKY[0], 1
        else:
            if (theme == "jobs" and index in (2, 5)) or (theme in ("de", "ro") and index == 4):
                starter = self.recruiter_for(lang)
                title = self.fill(rng.choice(RECRUITER_TITLES[starter.language]))
            else:
                title = self.fill(rng.choice(TITLES[theme]))
            if index == 6:
                count = rng.randrange(31, 36)  # every board has one long topic (4 pages)
            else:
                roll = rng.random()
                count = (
                    rng.randrange(1, 10)
                    if roll < 0.6
                    else rng.randrange(10, 21)
                    if roll < 0.9
                    else rng.randrange(21, 31)
                )
        if rng.random() < 0.05 or (theme == "travel" and index == 3):
            title = f"{title} <b>URGENT</b> & more"  # hostile: must come back as this literal text
        topic = Topic(board, title, views=0, sticky=sticky)
        # Every board's second topic is a lively one (today's and yesterday's posts); on a German
        # board its posts are all legacy ones, so relative text dates ("gestern, 14:05") occur.
        lively = index == 1
        recent = lively or (not sticky and rng.random() < 0.3)
        times = self.post_times(count, recent, lively)
        for number, at in enumerate(times, start=1):
            topic.posts.append(self.make_post(topic, number, at, starter, all_legacy=lively))
        topic.views = rng.randrange(count * 8, count * 40 + 50)
        return topic

    def make_post(self, topic: Topic, number: int, at: datetime, starter: Person | None, all_legacy: bool) -> Post:
        rng = self.rng
        board = topic.board
        quote_of = None
        template = None
        if topic.sticky:
            author, paragraphs = self.admin, list(STICKY[1])
        elif starter and (number == 1 or rng.random() < 0.25):
            author = self.recruiter_users[starter.key]
            paragraphs, template = self.recruitment(starter, bump=number > 1)
        elif number > 1 and rng.random() < RECRUITER_REPLY_SHARE:
            person = self.recruiter_for(board.lang)
            author = self.recruiter_users[person.key]
            paragraphs, template = self.recruitment(person)
        else:
            roll = rng.random()
            if number > 1 and roll < 0.03:
                author = User(None, rng.choice(["guest_traveller", "Anonymous", "maria_k"]))
            elif number > 1 and roll < 0.06:
                author = self.moderator
            elif number > 2 and roll < 0.25:
                author = topic.posts[0].author
            else:
                author = rng.choice(self.users)
            if starter and number > 1 and board.lang == "en" and rng.random() < 0.5:
                paragraphs = [rng.choice(WARNINGS)]
            else:
                paragraphs = self.ordinary_text(board.theme, board.lang, first=number == 1)
            if number > 1 and rng.random() < 0.15:
                quote_of = rng.choice(topic.posts)
                paragraphs.insert(0, rng.choice(QUOTE_REACTIONS[board.lang]))
        post = Post(topic, number, author, at, paragraphs, quote_of=quote_of, text_template=template)
        if author.person and author.person.recruiter:
            post.persons.add(author.person.key)
        if quote_of is not None:
            post.persons |= quote_of.persons
        # Legacy post: a German text date only. The roll is drawn for every post so the rest of the
        # forum does not depend on the build time; a wall-clock time that DST makes ambiguous keeps its <time>.
        legacy = rng.random() < LEGACY_SHARE or all_legacy
        if board.lang == "de" and legacy and not _ambiguous_local(at):
            post.has_time = False
        author.post_count += 1
        return post

    def build(self) -> ForumPlatform:
        options = self.options
        self.make_users(options.scale)
        categories: list[Category] = []
        fid = 1
        for k in range(max(1, options.scale)):
            if k == 0:
                category, themes, suffix = Category(fid, "General"), ("jobs", "travel", "de"), ""
            else:
                region = REGIONS[(k - 1) % len(REGIONS)] + ("" if k <= len(REGIONS) else f" {k}")
                category, suffix = Category(fid, f"Regional: {region}"), f" · {region}"
                themes = ("jobs", "travel", "ro" if k % 2 else "de")
            fid += 1
            for theme in themes:
                name, description, lang, date_style = THEMES[theme]
                board = Board(fid, theme, name + suffix, description, lang, date_style, category)
                fid += 1
                board.topics = [self.make_topic(board, i) for i in range(THREADS_PER_BOARD * max(1, options.depth))]
                category.boards.append(board)
            categories.append(category)
        topics = [t for c in categories for b in c.boards for t in b.topics]
        for tid, topic in enumerate(sorted(topics, key=lambda t: t.posts[0].at), start=1):
            topic.tid = tid
        posts = sorted((p for t in topics for p in t.posts), key=lambda p: (p.at, p.topic.tid, p.number))
        for pid, post in enumerate(posts, start=1):
            post.pid = pid
        for category in categories:
            for board in category.boards:
                board.topics.sort(key=lambda t: (not t.sticky, -t.posts[-1].at.timestamp(), t.tid))
        edit_rng = random.Random(f"{NAME}-{options.seed}-edits")
        edited = sorted(edit_rng.sample(posts, max(1, round(EDIT_SHARE * len(posts)))), key=lambda p: p.pid)
        for post in edited:
            if options.revision >= 1:
                post.edit = EDITS[post.topic.board.lang]
        changed = _change(categories, options) if options.change_fraction > 0 else []
        users = [self.admin, self.moderator, *self.users, *self.recruiter_users.values()]
        members = self.make_members_area(fid, len(topics) + 1, len(posts) + 1)
        platform = ForumPlatform(options, categories, users, edited, members)
        platform.changed_topics = changed
        return platform

    def make_members_area(self, fid: int, first_tid: int, first_pid: int) -> Category:
        """A members-only board, drawn after (and from another RNG than) the public forum, so the public
        pages, ids and truth are the same with or without it."""
        self.rng = random.Random(f"{NAME}-{self.options.seed}-members")
        category = Category(fid, "Members area")
        _, _, lang, date_style = THEMES["jobs"]
        board = Board(
            fid + 1, "jobs", MEMBERS_BOARD, MEMBERS_DESCRIPTION, lang, date_style, category, members_only=True
        )
        board.topics = [self.make_topic(board, i) for i in range(MEMBERS_TOPICS)]
        category.boards.append(board)
        for tid, topic in enumerate(sorted(board.topics, key=lambda t: t.posts[0].at), start=first_tid):
            topic.tid = tid
        posts = sorted((p for t in board.topics for p in t.posts), key=lambda p: (p.at, p.topic.tid, p.number))
        for pid, post in enumerate(posts, start=first_pid):
            post.pid = pid
        board.topics.sort(key=lambda t: (not t.sticky, -t.posts[-1].at.timestamp(), t.tid))
        return category


def _change(categories: list[Category], options: BuildOptions) -> list[Topic]:
    """Edit the first post of a seeded set of topics, so that ``change_fraction`` of the listings change (each
    edit changes two: the post and its thread). An edited topic shows "edited" on its board row and moves to
    the top of its board, as boards sorted by last activity show it."""
    topics = [t for c in categories for b in c.boards for t in b.topics if not t.sticky]
    listings = sum(len(t.posts) + 1 for t in topics)
    rng = random.Random(f"{NAME}-{options.seed}-changes")
    chosen = rng.sample(topics, min(len(topics), max(1, round(listings * options.change_fraction / 2))))
    for minutes, topic in enumerate(chosen, start=1):
        topic.posts[0].paragraphs.append(CHANGE_NOTES[topic.board.lang])
        topic.edited_at = options.now - timedelta(minutes=minutes)
    for category in categories:
        for board in category.boards:
            board.topics.sort(key=lambda t: (not t.sticky, -(t.edited_at or t.posts[-1].at).timestamp(), t.tid))
    return sorted(chosen, key=lambda t: t.tid)


def _ambiguous_local(moment: datetime) -> bool:
    """Whether the board's wall-clock time of ``moment`` occurs twice (the night DST ends)."""
    local = moment.astimezone(forum_pages.TZ).replace(tzinfo=None)
    return (
        local.replace(tzinfo=forum_pages.TZ, fold=0).utcoffset()
        != local.replace(tzinfo=forum_pages.TZ, fold=1).utcoffset()
    )


# --- the platform ---------------------------------------------------------------------------------------------------


class ForumPlatform:
    """A built demo forum: pages and ground truth."""

    name = NAME

    def __init__(
        self,
        options: BuildOptions,
        categories: list[Category],
        users: list[User],
        edited: list[Post],
        members: Category | None = None,
    ):
        self.options = options
        self.categories = categories
        self.members = members  # the members-only area: linked from the index, served only after a login
        self.users = users
        self.edited_posts = edited  # the posts revision 1 edits (whatever revision this was built at)
        self.changed_topics: list[Topic] = []  # BuildOptions.change_fraction: topics whose first post was edited
        self._pages: dict[str, Page] | None = None

    @property
    def boards(self) -> list[Board]:
        return [b for c in self.categories for b in c.boards]

    @property
    def topics(self) -> list[Topic]:
        return [t for b in self.boards for t in b.topics]

    @property
    def posts(self) -> list[Post]:
        return [p for t in self.topics for p in t.posts]

    def edited_ids(self, site: str) -> set[str]:
        """Listing ids revision 1 changes: the edited posts and the threads whose first post was edited."""
        ids = {f"{site}:post:{p.pid}" for p in self.edited_posts}
        ids |= {f"{site}:thread:{p.topic.tid}" for p in self.edited_posts if p.number == 1}
        return ids

    def changed_ids(self, site: str) -> set[str]:
        """Listing ids ``change_fraction`` changed: each changed topic's first post and the thread itself."""
        return {f"{site}:{kind}" for t in self.changed_topics for kind in (f"post:{t.posts[0].pid}", f"thread:{t.tid}")}

    def pages(self) -> dict[str, Page]:
        if self._pages is None:
            self._pages = forum_pages.render_all(self)
        return dict(self._pages)

    def protected_pages(self) -> dict[str, Page]:
        """The members area's pages: served only to a logged-in session."""
        return forum_pages.render_members(self) if self.members else {}

    def login_gate(self) -> LoginGate:
        return LoginGate(
            protected=self.protected_pages(),
            login_path=LOGIN_PATH,
            username=MEMBER_USERNAME,
            password=MEMBER_PASSWORD,
            form_page=forum_pages.render_login(""),
            failed_page=forum_pages.render_login(forum_pages.LOGIN_FAILED),
            required_page=forum_pages.render_login(forum_pages.LOGIN_REQUIRED),
            logged_in_marker=(forum_pages.LOGIN_LINK, forum_pages.LOGOUT_LINK),
        )

    def truth(self, base_url: str, site: str) -> list[dict[str, Any]]:
        """What a crawl without an account stores (the members area is not visible)."""
        return self._truth(self.topics, base_url, site)

    def members_truth(self, base_url: str, site: str) -> list[dict[str, Any]]:
        """What a logged-in crawl stores in addition: the members-only board."""
        topics = [t for b in self.members.boards for t in b.topics] if self.members else []
        return self._truth(topics, base_url, site)

    def _truth(self, topics: list[Topic], base_url: str, site: str) -> list[dict[str, Any]]:
        base = base_url.rstrip("/")
        now = self.options.now
        out: list[dict[str, Any]] = []
        for topic in topics:
            thread_id = f"{site}:thread:{topic.tid}"
            category = topic.board.name
            for post in topic.posts:
                item = {
                    "_id": f"{site}:post:{post.pid}",
                    "site": site,
                    "platform_type": PLATFORM_TYPE,
                    "kind": "post",
                    "url": f"{base}{post.page_path}#p{post.pid}",
                    "native_id": str(post.pid),
                    "title": post.subject,
                    "body": post.body,
                    "author": _author(post.author, base),
                    "posted_at": post.at.isoformat(),
                    "posted_at_raw": forum_pages.date_text(post, now),
                    "parent_id": thread_id,
                    "category": category,
                    "extra": {
                        "post_number": post.number,
                        "quotes": [post.quote_text] if post.quote_of else [],
                        "signature": post.author.signature,
                    },
                }
                _add_truth_notes(item, post, now)
                out.append(item)
                if post.number == 1:
                    thread = {
                        **{k: item[k] for k in ("site", "platform_type", "body", "posted_at")},
                        "author": dict(item["author"]),
                        "_id": thread_id,
                        "kind": "thread",
                        "url": f"{base}{topic.page_path(0)}",
                        "native_id": str(topic.tid),
                        "title": topic.title,
                        "posted_at_raw": item["posted_at_raw"],
                        "category": category,
                        "extra": {"reply_count": len(topic.posts) - 1, "view_count": topic.views},
                    }
                    _add_truth_notes(thread, post, now)
                    out.append(thread)
        return out


def _author(user: User, base: str) -> dict[str, Any]:
    return {
        "name": user.name,
        "id": None if user.uid is None else str(user.uid),
        "url": None if user.profile_path is None else base + user.profile_path,
    }


def _add_truth_notes(item: dict[str, Any], post: Post, now: datetime) -> None:
    notes: dict[str, Any] = {}
    if post.persons:
        notes["persons"] = sorted(post.persons)
    if forum_pages.is_relative_text(post, now):
        notes["posted_at_tolerance_s"] = 120
    if post.text_template:
        notes["text_templates"] = [post.text_template]
    if notes:
        item["_truth"] = notes


def build(options: BuildOptions) -> ForumPlatform:
    """Generate the forum for ``options`` (same options, same bytes)."""
    return _Generator(options).build()
