"""HTML rendering of the demo marketplace (see :mod:`crawler.demo.market` for the layout and the data).

Every generated string goes through :func:`html.escape`; the JSON-LD block is
escaped for a ``<script>`` element. The markup is the ``classifieds`` engine
preset of :mod:`plugins.marketplace.extractors`.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from crawler.demo.base import Page
from crawler.demo.market import PER_PAGE

if TYPE_CHECKING:
    from crawler.demo.market import Ad, Category, Marketplace, Seller

SITE = "Bazario"
ROBOTS_TXT = "User-agent: *\nDisallow: /search\nDisallow: /account/\n"
POPULAR_SEARCHES = ["flat", "room", "job abroad", "iphone", "sofa", "bike", "cleaning", "driver"]
CSS = """
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,Arial,sans-serif;color:#222;background:#f4f5f7}
a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:underline}
.container{max-width:1100px;margin:0 auto;padding:0 16px}
.site-header{background:#002f34;color:#fff;padding:10px 0}.header-inner{display:flex;gap:16px;align-items:center}
.logo{color:#23e5db;font-weight:700;font-size:24px}.search-form{flex:1;display:flex}
.search-form input{flex:1;padding:8px;border:0;border-radius:4px 0 0 4px}.search-form button{padding:8px 14px}
.user-nav a{color:#fff;margin-left:12px}.btn{background:#23e5db;color:#002f34;padding:6px 12px;border-radius:4px}
.breadcrumb{list-style:none;display:flex;gap:6px;padding:10px 0;margin:0;font-size:13px}
.breadcrumb li+li:before{content:"\\203A";margin-right:6px;color:#888}
.results-layout{display:grid;grid-template-columns:240px 1fr;gap:20px}
.filters,.sidebar>div{background:#fff;border-radius:6px;padding:12px;margin-bottom:12px}
.listing-card{background:#fff;border-radius:6px;margin-bottom:10px;overflow:hidden}
.listing-card a{display:grid;grid-template-columns:160px 1fr 140px;gap:12px;color:inherit;padding:10px}
.thumb img{width:160px;height:120px;object-fit:cover}.no-photo{background:#ddd;height:120px;text-align:center}
.card-title{font-size:17px;margin:0 0 6px}.card-price{font-weight:700;text-align:right}
.card-meta,.ad-meta{color:#666;font-size:13px}.pagination ul{list-style:none;display:flex;gap:8px;padding:0}
.pagination .current span{font-weight:700}.ad-page{display:grid;grid-template-columns:1fr 300px;gap:20px}
.ad{background:#fff;border-radius:6px;padding:16px}.ad-title{font-size:26px;margin:0 0 8px}
.price{font-size:24px;font-weight:700;color:#002f34}.gallery{display:flex;gap:6px;flex-wrap:wrap}
.gallery img{width:200px;height:150px;object-fit:cover}.attributes{list-style:none;padding:0;columns:2}
.attr-name{color:#666;margin-right:6px}.attr-name:after{content:":"}.contact-lines{list-style:none;padding:0}
.site-footer{margin-top:40px;padding:20px 0;background:#e9ecef;font-size:13px}
.footer-links{list-style:none;display:flex;gap:16px;padding:0}
"""


def layout(title: str, main: str, head: str = "") -> bytes:
    """A full page: head with inline CSS, header with search and account links, footer."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} | {SITE}</title>
<style>{CSS}</style>
{head}</head>
<body>
<header class="site-header"><div class="container header-inner">
<a class="logo" href="/">{SITE}</a>
<form class="search-form" action="/search" method="get" role="search"><input type="search" name="q" placeholder="What are you looking for?"><button type="submit">Search</button></form>
<nav class="user-nav"><a href="/account/login">Log in</a><a class="btn post-ad" href="/account/login">+ Post an ad</a></nav>
</div></header>
{main}
<footer class="site-footer"><div class="container">
<ul class="footer-links"><li><a href="/about">About {SITE}</a></li><li><a href="/help">Help &amp; safety</a></li><li><a href="/terms">Terms of use</a></li><li><a href="/search?q=">Advanced search</a></li></ul>
<p class="copyright">&copy; 2019&ndash;2026 {SITE} Classifieds GmbH &middot; Berlin &middot; All times are CET/CEST.</p>
</div></footer>
</body>
</html>
""".encode()  # noqa: E501


def search_link(term: str, label: str | None = None) -> str:
    return f'<a href="/search?q={escape(quote_plus(term))}">{escape(label or term)}</a>'


def category_menu(market: Marketplace, current: Category | None = None) -> str:
    items = []
    for category in market.categories:
        mark = ' class="category current"' if category is current else ' class="category"'
        items.append(
            f'<li{mark}><a class="category-link" href="{category.page_path(1)}">{escape(category.name)}</a>'
            f' <span class="count">({len(category.ads)})</span></li>'
        )
    return '<ul class="categories">' + "".join(items) + "</ul>"


def home_page(market: Marketplace) -> bytes:
    latest = [category.ads[0] for category in market.categories[:8]]
    latest_items = "".join(
        f'<li><a class="listing-link" href="{ad.path}">{escape(ad.title)}</a>'
        f' <span class="loc">{escape(ad.location)}</span></li>'
        for ad in latest
    )
    searches = " &middot; ".join(search_link(term) for term in POPULAR_SEARCHES)
    main = f"""<main class="container home">
<section class="hero"><h1>Buy, sell, find a job or a home</h1><p>{len(market.ads)} ads in {len(market.categories)} categories, from private sellers and businesses across Europe.</p></section>
<section class="category-list"><h2>Categories</h2>{category_menu(market)}</section>
<section class="latest"><h2>Latest ads</h2><ul class="latest-ads">{latest_items}</ul></section>
<aside class="popular-searches"><h2>Popular searches</h2><p>{searches}</p></aside>
</main>"""  # noqa: E501
    return layout("Free classifieds: jobs, housing, services, for sale", main)


def card(ad: Ad) -> str:
    """One result card: the same markup the JavaScript variant renders."""
    thumb = (
        f'<img src="{escape(ad.images[0])}" alt="" loading="lazy" width="160" height="120">'
        if ad.images
        else '<span class="no-photo">No photo</span>'
    )
    snippet = ad.paragraphs[0][:90] + ("\u2026" if len(ad.paragraphs[0]) > 90 else "")
    updated = f' &middot; <span class="card-updated">{escape(ad.updated_text)}</span>' if ad.updated_text else ""
    return f"""<div class="listing-card" data-ad-id="{ad.id}">
<a class="listing-link" href="{ad.path}">
<div class="thumb">{thumb}</div>
<div class="card-body"><h2 class="card-title">{escape(ad.title)}</h2><p class="card-snippet">{escape(snippet)}</p>
<div class="card-meta"><span class="card-location">{escape(ad.location)}</span> &middot; <span class="card-date">{escape(ad.posted_text)}</span>{updated}</div></div>
<div class="card-price">{escape(ad.price_raw)}</div>
</a>
</div>
"""  # noqa: E501


def pagination(category: Category, page: int) -> str:
    items = []
    if page > 1:
        items.append(f'<li><a class="prev" rel="prev" href="{category.page_path(page - 1)}">&lsaquo; Previous</a></li>')
    for number in range(1, category.page_count + 1):
        if number == page:
            items.append(f'<li class="current"><span aria-current="page">{number}</span></li>')
        else:
            items.append(f'<li><a href="{category.page_path(number)}">{number}</a></li>')
    if page < category.page_count:
        items.append(f'<li><a class="next" rel="next" href="{category.page_path(page + 1)}">Next &rsaquo;</a></li>')
    return '<nav class="pagination" aria-label="Pages"><ul>' + "".join(items) + "</ul></nav>"


def results_page(market: Marketplace, category: Category, page: int, per_page: int) -> bytes:
    ads = category.ads[(page - 1) * per_page : page * per_page]
    main = f"""<main class="container results">
<ol class="breadcrumb"><li><a href="/">Home</a></li><li aria-current="page">{escape(category.name)}</li></ol>
<div class="results-layout">
<aside class="filters"><h2>Categories</h2>{category_menu(market, category)}
<h2>Filter</h2><form action="/search" method="get"><input type="hidden" name="category" value="{category.slug}">
<label>Price from <input name="min" size="6"></label> <label>to <input name="max" size="6"></label>
<label><input type="checkbox" name="photos" value="1"> With photos only</label><button type="submit">Apply</button></form>
<p class="saved-search">{search_link(category.name, "Save this search")}</p></aside>
<section class="result-list">
<h1 class="results-title">{escape(category.name)} <span class="count">{len(category.ads)} ads</span></h1>
<p class="sort">Sorted by: newest first &middot; page {page} of {category.page_count}</p>
{"".join(card(ad) for ad in ads)}{pagination(category, page)}
</section>
</div>
</main>"""  # noqa: E501
    title = category.name if page == 1 else f"{category.name} (page {page})"
    return layout(title, main)


def structured_data(ad: Ad) -> str:
    """OpenGraph tags and a schema.org Product/Offer JSON-LD block for the ad page head."""
    description = "\n".join(ad.paragraphs)
    offer: dict[str, Any] = {"@type": "Offer", "availability": "https://schema.org/InStock"}
    if ad.amount is not None:
        offer["price"] = f"{ad.amount:.2f}".removesuffix(".00")
        if ad.currency:
            offer["priceCurrency"] = ad.currency
    seller_type = "Organization" if ad.seller.business else "Person"
    offer["seller"] = {"@type": seller_type, "name": ad.seller.name}
    product: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": ad.title,
        "description": description,
        "sku": ad.id,
        "category": ad.category.name,
        "image": list(ad.images),
        "offers": offer,
    }
    ld = json.dumps(product, ensure_ascii=False, indent=1)
    ld = ld.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    meta = [
        ("og:type", "product"),
        ("og:site_name", SITE),
        ("og:title", ad.title),
        ("og:description", description[:160]),
    ]
    meta += [("og:image", src) for src in ad.images[:1]]
    if ad.amount is not None and ad.currency:
        meta += [("product:price:amount", offer["price"]), ("product:price:currency", ad.currency)]
    tags = "".join(f'<meta property="{p}" content="{escape(v)}">\n' for p, v in meta)
    return (
        f'<meta name="description" content="{escape(description[:160])}">\n{tags}'
        f'<link rel="canonical" href="{ad.path}">\n<script type="application/ld+json">\n{ld}\n</script>\n'
    )


def contact_block(ad: Ad) -> str:
    lines = []
    for kind, line in ad.contacts:
        inner = f'<a href="mailto:{escape(line)}">{escape(line)}</a>' if kind == "email" else escape(line)
        lines.append(f'<li class="contact-{kind}">{inner}</li>')
    listed = (
        f'<ul class="contact-lines">{"".join(lines)}</ul>'
        if lines
        else '<p class="no-contact">Contact the seller by message.</p>'
    )
    return f"""<div class="contact"><h3>Contact</h3>{listed}
<a class="btn send-message" href="/account/login">Send message</a></div>"""


def seller_block(seller: Seller) -> str:
    kind = "Business" if seller.business else "Private seller"
    return f"""<div class="seller"><h3>Seller</h3>
<a class="seller-name" href="/user/{seller.id}">{escape(seller.name)}</a>
<p><span class="seller-type">{kind}</span> &middot; <span class="member-since">on {SITE} since {seller.since}</span></p>
<a class="seller-ads" href="/user/{seller.id}">All ads of this seller &rsaquo;</a></div>"""


def ad_page(ad: Ad) -> bytes:
    time_attr = f' datetime="{ad.posted_attr}"' if ad.posted_attr else ""
    gallery = "".join(
        f'<img src="{escape(src)}" alt="{escape(ad.title)} {n}" loading="lazy">' for n, src in enumerate(ad.images, 1)
    )
    attributes = "".join(
        f'<li><span class="attr-name">{escape(k)}</span><span class="attr-value">{escape(v)}</span></li>'
        for k, v in ad.attributes
    )
    paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in ad.paragraphs)
    category = ad.category
    main = f"""<main class="container">
<ol class="breadcrumb"><li><a href="/">Home</a></li><li><a href="{category.page_path(1)}">{escape(category.name)}</a></li><li aria-current="page">{escape(ad.title)}</li></ol>
<div class="ad-page">
<article class="ad" data-ad-id="{ad.id}">
<header class="ad-header">
<h1 class="ad-title">{escape(ad.title)}</h1>
<div class="ad-price"><span class="price">{escape(ad.price_raw)}</span></div>
<div class="ad-meta"><span class="posted-label">Posted</span> <time class="posted"{time_attr}>{escape(ad.posted_text)}</time> &middot; <span class="ad-ref">Ad ID: {ad.id}</span> &middot; <span class="views">{ad.views} views</span></div>
</header>
<div class="gallery">{gallery or '<span class="no-photo">No photos</span>'}</div>
<section class="ad-details"><h2>Details</h2><ul class="attributes">{attributes}</ul></section>
<section class="ad-description"><h2>Description</h2><div class="description">
{paragraphs}</div></section>
<section class="ad-location"><h2>Location</h2><div class="location">{escape(ad.location)}</div></section>
</article>
<aside class="sidebar">
{seller_block(ad.seller)}
{contact_block(ad)}
<div class="safety-tips"><h3>Stay safe</h3><p>Never pay in advance or hand over your passport. Meet in public places. Job offers with travel paid and no experience needed are a common trap.</p><a href="/help">More safety tips</a> &middot; <a href="/account/login">Report this ad</a></div>
<div class="more-like-this">{search_link(category.name, "More ads in " + category.name)}</div>
</aside>
</div>
</main>"""  # noqa: E501
    return layout(ad.title, main, structured_data(ad))


def user_page(seller: Seller, ads: list[Ad]) -> bytes:
    items = "".join(
        f'<li><a class="user-ad-link" href="{ad.path}">{escape(ad.title)}</a>'
        f' <span class="cat">{escape(ad.category.name)}</span></li>'
        for ad in ads
    )
    kind = "Business" if seller.business else "Private seller"
    main = f"""<main class="container user-page">
<ol class="breadcrumb"><li><a href="/">Home</a></li><li aria-current="page">{escape(seller.name)}</li></ol>
<section class="profile"><h1 class="user-name">{escape(seller.name)}</h1>
<p>{kind} &middot; on {SITE} since {seller.since} &middot; {len(ads)} active ads</p></section>
<section class="user-listings"><h2>Ads by this seller</h2><ul class="user-ads">{items}</ul></section>
</main>"""
    return layout(seller.name, main)


STATIC = {
    "/about": (
        "About us",
        "Bazario is a free classifieds site for people across Europe: jobs, housing, services and things for sale.",
    ),
    "/help": (
        "Help and safety",
        "Never send money or documents before you have met. "
        "Report suspicious job offers: travel paid, no experience, passport kept.",
    ),
    "/terms": (
        "Terms of use",
        "Ads must be lawful, truthful and posted in the right category. We remove ads that recruit for exploitation.",
    ),
}


def static_page(title: str, text: str) -> bytes:
    main = f'<main class="container static"><h1>{escape(title)}</h1><p>{escape(text)}</p></main>'
    return layout(title, main)


def render_site(market: Marketplace) -> dict[str, Page]:
    """Every page of the marketplace, keyed by path and query exactly as linked."""
    pages: dict[str, Page] = {"/robots.txt": Page(ROBOTS_TXT.encode(), "text/plain; charset=utf-8")}
    pages["/"] = Page(home_page(market))
    by_seller: dict[str, list[Ad]] = {}
    for category in market.categories:
        for page in range(1, category.page_count + 1):
            pages[category.page_path(page)] = Page(results_page(market, category, page, PER_PAGE))
        for ad in category.ads:
            pages[ad.path] = Page(ad_page(ad))
            by_seller.setdefault(ad.seller.id, []).append(ad)
    for seller in market.sellers:
        if seller.id in by_seller:
            pages[f"/user/{seller.id}"] = Page(user_page(seller, by_seller[seller.id]))
    for path, (title, text) in STATIC.items():
        pages[path] = Page(static_page(title, text))
    return pages
