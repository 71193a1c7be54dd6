"""HTML rendering of the "reviews" demo platform (markup of the ``yelpish`` engine family).

Every generated string goes through :func:`html.escape`; the JSON-LD block is
made safe for a ``<script>`` element. Pages only depend on the world model, so
a listing edited in revision 1 changes the pages that show it and no other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING

from crawler.demo.base import Page

if TYPE_CHECKING:
    from crawler.demo.reviews import Business, Category, Review, ReviewSite, User

BRAND = "RateLocal"
ROBOTS_TXT = "User-agent: *\nDisallow: /write-review\nDisallow: /login\n"
_SCHEMA_TYPES = {"agency": "EmploymentAgency", "spa": "DaySpa", "hotel": "Hotel"}
_HOURS = {
    "agency": [("Mon–Fri", "08:00–17:00"), ("Sat", "09:00–12:00"), ("Sun", "Closed")],
    "spa": [("Mon–Fri", "10:00–21:00"), ("Sat", "10:00–20:00"), ("Sun", "12:00–18:00")],
    "hotel": [("Reception", "24 hours"), ("Check-in", "from 15:00"), ("Check-out", "until 11:00")],
}
_SCORE_WORDS = ((9.0, "Superb"), (8.0, "Very good"), (7.0, "Good"), (5.0, "Pleasant"), (0.0, "Review score"))
_CSS = """
*{box-sizing:border-box}body{margin:0;font:15px/1.5 "Helvetica Neue",Arial,sans-serif;color:#2d2e2f;background:#fafafa}
a{color:#0073bb;text-decoration:none}a:hover{text-decoration:underline}
.site-header{background:#d32323;color:#fff;padding:10px 0}.site-header a{color:#fff}
.container{max-width:1080px;margin:0 auto;padding:0 16px}.logo{font-size:24px;font-weight:700}.logo span{opacity:.8}
.main-nav{float:right;margin-top:6px}.main-nav a{margin-left:18px}
.breadcrumbs{font-size:13px;margin:14px 0;color:#6e7072}
.layout{display:flex;gap:28px}.layout>main,.biz-main,.biz-list{flex:1}.sidebar,.biz-sidebar{width:300px}
.biz-card{background:#fff;border:1px solid #ebebeb;border-radius:6px;padding:16px;margin-bottom:14px}
.stars{display:inline-block;position:relative;color:#f15c4f;letter-spacing:2px}
.stars-lg{font-size:22px}.stars-fill{position:absolute;left:0;top:0;overflow:hidden;white-space:nowrap}
.score-badge{display:inline-block;background:#003580;color:#fff;border-radius:6px 6px 6px 0;padding:4px 8px}
.review{background:#fff;border-bottom:1px solid #ebebeb;padding:18px 0}.review-title{margin:6px 0;font-size:17px}
.avatar{display:inline-block;width:40px;height:40px;border-radius:50%;background:#ccc;text-align:center;
line-height:40px;font-weight:700;margin-right:10px}
.owner-response{margin:10px 0 0 24px;padding:10px 14px;border-left:3px solid #d32323;background:#f5f5f5}
.pagination{margin:20px 0;display:flex;gap:10px}.pagination .current{font-weight:700}
.biz-contact,.biz-hours,.also-viewed{background:#fff;border:1px solid #ebebeb;border-radius:6px;padding:14px;
margin-bottom:16px}.biz-contact ul{list-style:none;margin:0;padding:0}.contact-item{padding:6px 0}
.btn{display:inline-block;padding:7px 14px;border-radius:4px;background:#d32323;color:#fff}
.site-footer{margin-top:40px;padding:24px 0;background:#f0f0f0;font-size:13px;color:#6e7072}
"""


def e(text: object) -> str:
    return escape(str(text), quote=True)


def _layout(title: str, main: str, *, canonical: str, head: str = "", body_class: str = "") -> bytes:
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} | {BRAND}</title>
<link rel="canonical" href="{e(canonical)}">
{head}<style>{_CSS}</style>
</head>
<body class="{body_class}">
<header class="site-header">
  <div class="container">
    <a class="logo" href="/">Rate<span>Local</span></a>
    <nav class="main-nav" aria-label="Main">
      <a class="nav-categories" href="/categories">Categories</a>
      <a class="nav-about" href="/about">About</a>
      <a class="nav-login" href="/login" rel="nofollow">Log in</a>
    </nav>
  </div>
</header>
<div class="container page-body">
{main}
</div>
<footer class="site-footer">
  <div class="container">
    <p>&copy; 2026 {BRAND}. Honest reviews of local businesses.</p>
    <p><a href="/about">About {BRAND}</a> · <a href="/categories">All categories</a> ·
      <a href="/login" rel="nofollow">Business owners: log in</a></p>
  </div>
</footer>
</body>
</html>
"""
    return html.encode("utf-8")


def _stars(value: float, label: str, size: str = "") -> str:
    width = round(value * 20)
    return (
        f'<div class="stars {size}" role="img" aria-label="{e(label)}">☆☆☆☆☆'
        f'<span class="stars-fill" style="width:{width}%">★★★★★</span></div>'
    )


def _aggregate(business: Business, size: str = "stars-lg") -> str:
    """The business's average: stars on 5-point categories, a score badge on 10-point ones."""
    value = business.aggregate
    count = len(business.reviews)
    count_text = f"{count} review" if count == 1 else f"{count} reviews"
    if value is None:
        return '<span class="review-count no-reviews">No reviews yet</span>'
    if business.category.scale == 10:
        word = next(w for limit, w in _SCORE_WORDS if value >= limit)
        badge = (
            f'<div class="score-badge" role="img" aria-label="{value:.1f} out of 10">'
            f'<span class="score">{value:.1f}</span> <span class="score-word">{word}</span></div>'
        )
        return f'{badge} <span class="review-count">{count_text}</span>'
    return f'{_stars(value, f"{value:.1f} out of 5", size)} <span class="review-count">{count_text}</span>'


def _pagination(path_of: Callable[[int], str], current: int, last: int, css: str, label: str) -> str:
    if last <= 1:
        return ""
    parts = []
    if current > 1:
        parts.append(f'<a class="prev" rel="prev" href="{e(path_of(current - 1))}">‹ Previous</a>')
    for page in range(1, last + 1):
        if page == current:
            parts.append(f'<span class="current" aria-current="page">{page}</span>')
        else:
            parts.append(f'<a class="page-link" href="{e(path_of(page))}">{page}</a>')
    if current < last:
        parts.append(f'<a class="next" rel="next" href="{e(path_of(current + 1))}">Next ›</a>')
    return f'<nav class="pagination {css}" aria-label="{label}">' + "\n".join(parts) + "</nav>"


def _page_links(path_of: Callable[[int], str], current: int, last: int) -> str:
    head = ""
    if current > 1:
        head += f'<link rel="prev" href="{e(path_of(current - 1))}">\n'
    if current < last:
        head += f'<link rel="next" href="{e(path_of(current + 1))}">\n'
    return head


def _address(business: Business) -> str:
    street = f'<span class="street-address">{e(business.street)}</span>'
    postal = f'<span class="postal-code">{e(business.postal_code)}</span>'
    city = f'<span class="locality">{e(business.city)}</span>'
    country = f'<span class="country-name">{e(business.country_name)}</span>'
    middle = f"{city} {postal}" if business.country == "GB" else f"{postal} {city}"
    return f'<address class="biz-address">{street}, {middle}, {country}</address>'


def render_home(site: ReviewSite) -> bytes:
    tiles = "\n".join(
        f'<li class="category-tile"><a class="category-link" href="/c/{e(c.slug)}">{e(c.name)}</a></li>'
        for c in site.categories
    )
    rated = [b for b in site.businesses if b.aggregate is not None]
    rated.sort(key=lambda b: (-(b.aggregate or 0) * 10 / b.category.scale, b.slug))
    top = "\n".join(
        f'<li class="top-biz"><a href="/biz/{e(b.slug)}">{e(b.name)}</a> {_aggregate(b, "stars-sm")}</li>'
        for b in rated[:6]
    )
    main = f"""<section class="hero">
  <h1>Find trusted local businesses</h1>
  <p class="lead">Real reviews from real customers: agencies, spas, hotels and more.</p>
</section>
<section class="home-categories">
  <h2>Popular categories</h2>
  <ul class="category-tiles">
{tiles}
  </ul>
  <p><a class="all-categories" href="/categories">See all categories ›</a></p>
</section>
<section class="home-latest">
  <h2>What people are saying</h2>
  <p><a class="latest-reviews" href="/latest">Latest reviews ›</a></p>
</section>
<section class="home-top">
  <h2>Top rated this month</h2>
  <ul class="top-list">
{top}
  </ul>
</section>"""
    return _layout(f"{BRAND}: reviews of local businesses", main, canonical="/", body_class="page-home")


def render_directory(site: ReviewSite) -> bytes:
    items = "\n".join(
        f'<li><a class="category-link" href="/c/{e(c.slug)}">{e(c.name)}</a> '
        f'<span class="count">({len(c.businesses)})</span></li>'
        for c in site.categories
    )
    main = f"""<nav class="breadcrumbs"><a href="/">Home</a> › <span>Categories</span></nav>
<h1>All categories</h1>
<ul class="category-directory">
{items}
</ul>"""
    return _layout("All categories", main, canonical="/categories", body_class="page-directory")


def render_about() -> bytes:
    main = f"""<h1>About {BRAND}</h1>
<p>{BRAND} publishes reviews written by customers. We do not pay for reviews and we do not remove negative
reviews on request of a business. Businesses can answer reviews publicly.</p>
<p>Found a review that breaks our guidelines? Log in and use the report button under the review.</p>"""
    return _layout(f"About {BRAND}", main, canonical="/about", body_class="page-about")


def _shown_date(review: Review) -> str:
    """A date as cards and the feed show it: relative dates as the review page shows them, others in English."""
    from crawler.demo.reviews import format_date

    return review.posted_at_raw if review.date_mode == "relative" else format_date(review.posted_at, "en", "time")


def _edit_date(review: Review) -> str:
    from crawler.demo.reviews import format_date

    return format_date(review.edited_at, "en", "time") if review.edited_at else ""


def _latest_review(business: Business) -> str:
    """The card's "latest review" line (reviews are stored newest first): it changes when a review is posted."""
    if not business.reviews:
        return ""
    return f'\n    <p class="latest-review">Latest review: {e(_shown_date(business.reviews[0]))}</p>'


def _biz_card(business: Business) -> str:
    snippet = _snippet(business.description[0])
    return f"""<div class="biz-card" data-biz="{e(business.slug)}">
  <div class="biz-card-body">
    <h3 class="biz-card-title"><a class="biz-link" href="/biz/{e(business.slug)}">{e(business.name)}</a></h3>
    <div class="biz-card-rating">{_aggregate(business, "stars-sm")}</div>
    <div class="biz-card-meta"><span class="price-level">{e(business.price_level)}</span> ·
      <span class="biz-card-category">{e(business.category.name)}</span></div>
    {_address(business)}
    <p class="snippet">{e(snippet)}</p>{_latest_review(business)}
  </div>
</div>"""


def render_category(site: ReviewSite, category: Category, page: int) -> bytes:
    from crawler.demo.reviews import BUSINESSES_PER_PAGE

    start = (page - 1) * BUSINESSES_PER_PAGE
    shown = category.businesses[start : start + BUSINESSES_PER_PAGE]
    cards = "\n".join(_biz_card(b) for b in shown)
    others = "\n".join(
        f'<li><a class="category-link" href="/c/{e(c.slug)}">{e(c.name)}</a></li>'
        for c in site.categories
        if c is not category
    )
    last = category.list_pages
    main = f"""<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/categories">Categories</a> ›
  <span>{e(category.name)}</span></nav>
<h1 class="category-title">The best {e(category.name)} near you</h1>
<p class="result-count">{len(category.businesses)} businesses · page {page} of {last}</p>
<div class="layout">
  <section class="biz-list">
{cards}
{_pagination(category.page_path, page, last, "list-pagination", "Result pages")}
  </section>
  <aside class="sidebar">
    <h3>Other categories</h3>
    <ul class="other-categories">
{others}
    </ul>
  </aside>
</div>"""
    title = f"{category.name} - page {page}" if page > 1 else category.name
    head = _page_links(category.page_path, page, last)
    return _layout(title, main, canonical=category.page_path(page), head=head, body_class="page-category")


def _json_ld(business: Business) -> str:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": _SCHEMA_TYPES.get(business.category.kind, "LocalBusiness"),
        "name": business.name,
        "description": business.description[0],
        "address": {
            "@type": "PostalAddress",
            "streetAddress": business.street,
            "postalCode": business.postal_code,
            "addressLocality": business.city,
            "addressCountry": business.country,
        },
        "priceRange": business.price_level,
    }
    if business.phone:
        data["telephone"] = business.phone
    if business.website:
        data["url"] = f"https://{business.website}/"
    if business.aggregate is not None:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": business.aggregate,
            "bestRating": business.category.scale,
            "worstRating": 1,
            "reviewCount": len(business.reviews),
        }
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return f'<script type="application/ld+json">{text}</script>\n'


def _review_rating(review: Review, scale: int) -> str:
    if scale == 10:
        return f'<div class="review-score-box"><span class="review-score">{review.rating}/10</span></div>'
    on, off = "★" * review.rating, "☆" * (5 - review.rating)
    return (
        f'<div class="stars stars-sm" data-rating="{review.rating}" role="img" '
        f'aria-label="{review.rating} out of 5 stars"><span class="on">{on}</span><span class="off">{off}</span></div>'
    )


def _date(review: Review) -> str:
    if review.date_mode == "time":
        stamp = review.posted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        return f'<time class="review-date" datetime="{stamp}">{e(review.posted_at_raw)}</time>'
    return f'<span class="review-date">{e(review.posted_at_raw)}</span>'


def _edited(review: Review) -> str:
    if review.edited_at is None:
        return ""
    stamp = review.edited_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f' <span class="review-edited">Edited <time datetime="{stamp}">{e(_edit_date(review))}</time></span>'


def _review(review: Review, scale: int) -> str:
    author = review.author
    initials = "".join(part[:1] for part in author.name.replace("_", " ").split()[:2]).upper()
    count = len(author.reviews)
    paragraphs = "\n".join(f"<p>{e(p)}</p>" for p in review.paragraphs)
    response = ""
    if review.owner_response:
        reply = review.owner_response
        stamp = reply.posted_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        response = f"""
  <div class="owner-response">
    <div class="owner-response-head"><span class="owner-badge">Response from the owner</span>
      <time datetime="{stamp}">{e(reply.posted_at_raw)}</time></div>
    <div class="owner-response-text"><p>{e(reply.text)}</p></div>
  </div>"""
    return f"""<article class="review" id="review-{e(review.id)}" data-review-id="{e(review.id)}">
  <div class="review-author">
    <span class="avatar" aria-hidden="true">{e(initials)}</span>
    <div class="author-info">
      <a class="author-name" href="/user/{e(author.id)}">{e(author.name)}</a>
      <div class="author-meta"><span class="author-location">{e(author.location)}</span> ·
        <span class="author-count">{count} review{"s" if count != 1 else ""}</span></div>
    </div>
  </div>
  <div class="review-meta">{_review_rating(review, scale)} {_date(review)}{_edited(review)}</div>
  <h3 class="review-title">{e(review.title)}</h3>
  <div class="review-text" lang="{e(review.language)}">
{paragraphs}
  </div>
  <div class="review-actions"><button type="button" class="helpful">Helpful</button>
    <button type="button" class="share">Share</button></div>{response}
</article>"""


def _contact_box(business: Business) -> str:
    items = []
    if business.phone:
        digits = "".join(c for c in business.phone if c.isdigit() or c == "+")
        items.append(f'<li class="contact-item contact-phone"><span class="icon">☎</span> '
                     f'<a href="tel:{e(digits)}">{e(business.phone)}</a></li>')  # fmt: skip
    if business.email:
        items.append(f'<li class="contact-item contact-email"><span class="icon">✉</span> '
                     f'<a href="mailto:{e(business.email)}">{e(business.email)}</a></li>')  # fmt: skip
    if business.website:
        items.append(f'<li class="contact-item contact-website"><span class="icon">⌂</span> '
                     f'<a href="https://{e(business.website)}/" rel="nofollow noopener" target="_blank">'
                     f"{e(business.website)}</a></li>")  # fmt: skip
    body = "\n".join(items) or '<li class="contact-none">No contact details provided.</li>'
    return f"""<div class="biz-contact">
  <h3>Contact</h3>
  <ul>
{body}
  </ul>
  {_address(business)}
</div>"""


def render_business(site: ReviewSite, business: Business, page: int) -> bytes:
    from crawler.demo.reviews import REVIEWS_PER_PAGE

    category = business.category
    last = business.review_pages
    start = (page - 1) * REVIEWS_PER_PAGE
    shown = business.reviews[start : start + REVIEWS_PER_PAGE]
    reviews = "\n".join(_review(r, category.scale) for r in shown)
    reviews = reviews or '<p class="no-reviews">Be the first to review!</p>'
    description = "\n".join(f"<p>{e(p)}</p>" for p in business.description)
    hours = "\n".join(f"<tr><th>{e(d)}</th><td>{e(h)}</td></tr>" for d, h in _HOURS[category.kind])
    others = [b for b in category.businesses if b is not business][:3]
    also = "\n".join(f'<li><a href="/biz/{e(b.slug)}">{e(b.name)}</a></li>' for b in others)
    main = f"""<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/categories">Categories</a> ›
  <a class="biz-category" href="/c/{e(category.slug)}">{e(category.name)}</a></nav>
<div class="biz-header">
  <h1 class="biz-name">{e(business.name)}</h1>
  <div class="biz-rating">{_aggregate(business)}</div>
  <div class="biz-meta"><span class="price-level">{e(business.price_level)}</span> ·
    <span class="category-tag">{e(category.name)}</span> · <span class="claimed">Claimed</span></div>
</div>
<div class="layout">
  <div class="biz-main">
    <section class="biz-about">
      <h2>About the business</h2>
      <div class="biz-description">
{description}
      </div>
    </section>
    <section class="reviews" id="reviews">
      <h2>Reviews</h2>
      <div class="review-toolbar">
        <a class="btn write-review" href="/write-review?biz={e(business.slug)}" rel="nofollow">Write a review</a>
        <span class="sort">Sorted by: newest first</span>
      </div>
{reviews}
{_pagination(business.page_path, page, last, "review-pagination", "Review pages")}
    </section>
  </div>
  <aside class="biz-sidebar">
{_contact_box(business)}
    <div class="biz-hours"><h3>Opening hours</h3><table>
{hours}
    </table></div>
    <div class="also-viewed"><h3>People also viewed</h3><ul>
{also}
    </ul></div>
  </aside>
</div>"""
    title = f"{business.name} - {category.name}" + (f" - page {page}" if page > 1 else "")
    head = _page_links(business.page_path, page, last) + _json_ld(business)
    return _layout(title, main, canonical=business.page_path(page), head=head, body_class="page-biz")


def _snippet(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "…"


def _feed_item(review: Review) -> str:
    """One row of the latest-activity feed, linking to the review on its business page."""
    business = review.business
    assert business is not None
    link = f"{business.page_path(business.page_of(review))}#review-{review.id}"
    scale = business.category.scale
    when = f"Edited {_edit_date(review)}" if review.edited_at else _shown_date(review)
    # The first paragraph only: an author's later addendum does not change a feed row unless it is an edit.
    return f"""<li class="feed-item" data-review-id="{e(review.id)}">
  <div class="feed-head"><a class="feed-biz" href="{e(business.page_path(1))}">{e(business.name)}</a>
    <span class="feed-rating">{review.rating}/{scale}</span></div>
  <h3 class="feed-title"><a class="feed-review" href="{e(link)}">{e(review.title)}</a></h3>
  <p class="feed-snippet">{e(_snippet(review.paragraphs[0]))}</p>
  <div class="feed-meta"><span class="feed-author">{e(review.author.name)}</span> ·
    <span class="feed-date">{e(when)}</span></div>
</li>"""


def render_feed(site: ReviewSite, page: int) -> bytes:
    from crawler.demo.reviews import FEED_PER_PAGE

    start = (page - 1) * FEED_PER_PAGE
    rows = "\n".join(_feed_item(r) for r in site.feed()[start : start + FEED_PER_PAGE])
    last = site.feed_pages
    main = f"""<nav class="breadcrumbs"><a href="/">Home</a> › <span>Latest reviews</span></nav>
<h1>Latest reviews</h1>
<p class="feed-note">New and edited reviews, most recent first (the latest {len(site.feed())}).</p>
<ol class="latest-feed">
{rows}
</ol>
{_pagination(site.feed_path, page, last, "feed-pagination", "Feed pages")}"""
    title = f"Latest reviews - page {page}" if page > 1 else "Latest reviews"
    head = _page_links(site.feed_path, page, last)
    return _layout(title, main, canonical=site.feed_path(page), head=head, body_class="page-feed")


def render_user(user: User) -> bytes:
    rows = []
    for review in user.reviews:
        business = review.business
        assert business is not None
        link = f"{business.page_path(business.page_of(review))}#review-{review.id}"
        rows.append(
            f'<li class="user-review"><a href="{e(link)}">{e(business.name)}</a> '
            f'<span class="user-review-rating">{review.rating}/{business.category.scale}</span> · '
            f'<span class="user-review-title">{e(review.title)}</span> · '
            f'<span class="user-review-date">{e(review.posted_at_raw)}</span></li>'
        )
    items = "\n".join(rows)
    main = f"""<div class="user-profile">
  <h1 class="user-name">{e(user.name)}</h1>
  <p class="user-location">{e(user.location)}</p>
  <p class="user-stats">{len(user.reviews)} review{"s" if len(user.reviews) != 1 else ""}</p>
  <h2>Reviews</h2>
  <ul class="user-reviews">
{items}
  </ul>
</div>"""
    return _layout(f"{user.name}'s reviews", main, canonical=f"/user/{user.id}", body_class="page-user")


def render_site(site: ReviewSite) -> dict[str, Page]:
    """Every servable path of the platform (query strings exactly as linked)."""
    pages: dict[str, Page] = {
        "/robots.txt": Page(ROBOTS_TXT.encode("utf-8"), content_type="text/plain; charset=utf-8"),
        "/": Page(render_home(site)),
        "/categories": Page(render_directory(site)),
        "/about": Page(render_about()),
    }
    for page in range(1, site.feed_pages + 1):
        pages[site.feed_path(page)] = Page(render_feed(site, page))
    for category in site.categories:
        for page in range(1, category.list_pages + 1):
            pages[category.page_path(page)] = Page(render_category(site, category, page))
        for business in category.businesses:
            for page in range(1, business.review_pages + 1):
                pages[business.page_path(page)] = Page(render_business(site, business, page))
    for user in site.users:
        pages[f"/user/{user.id}"] = Page(render_user(user))
    return pages
