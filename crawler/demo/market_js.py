"""The demo marketplace as a JavaScript single-page app: its HTML holds no ads.

A small inline vanilla script fetches JSON and renders the *same* markup as
:mod:`crawler.demo.market_pages` (result cards, ad pages), so one extractor
reads both once a browser has rendered the page. Without rendering, a crawler
sees only empty shells. It shows a subset of the marketplace's ads (every
sixth, and the reposts: 23 at scale 1)::

    /  and  /?page=N        shell; the script renders /api/ads?page=N as result cards
    /feed                   shell; infinite scroll: page 1's cards, the next page appended at the end
    /ad.html?id=<id>        shell; the script renders /api/ad/<id> as an ad page
    /api/ads?page=N         JSON: one result page (12 ads)
    /api/ad/<id>            JSON: one ad
    /user/<id>              server-rendered seller profile (no ads listed)
    /about /help /terms     static pages

When the script has rendered, ``#app`` gets ``data-ready="1"`` (a browser
crawl can wait for ``#app[data-ready]``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from typing import Any

from crawler.demo import market
from crawler.demo.base import BuildOptions, Page
from crawler.demo.market_pages import ROBOTS_TXT, SITE, STATIC, layout, static_page

NAME = "market-js"
DEFAULT_PORT = 8474
EVERY = 6  # which of the marketplace's ads the app shows
PER_PAGE = 12
JSON_TYPE = "application/json"

APP_JS = r"""
(function () {
  "use strict";
  var app = document.getElementById("app");

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (attrs[name] !== null && attrs[name] !== undefined) el.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  function param(name) {
    return new URLSearchParams(window.location.search).get(name);
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  function card(ad) {
    var thumb = ad.thumb
      ? h("img", { src: ad.thumb, alt: "", loading: "lazy", width: "160", height: "120" })
      : h("span", { class: "no-photo" }, ["No photo"]);
    return h("div", { class: "listing-card", "data-ad-id": ad.id }, [
      h("a", { class: "listing-link", href: ad.url }, [
        h("div", { class: "thumb" }, [thumb]),
        h("div", { class: "card-body" }, [
          h("h2", { class: "card-title" }, [ad.title]),
          h("p", { class: "card-snippet" }, [ad.snippet]),
          h("div", { class: "card-meta" }, [
            h("span", { class: "card-location" }, [ad.location]),
            " \u00b7 ",
            h("span", { class: "card-date" }, [ad.posted.text])
          ])
        ]),
        h("div", { class: "card-price" }, [ad.price])
      ])
    ]);
  }

  function pagination(data) {
    var items = [];
    function path(n) { return n === 1 ? "/" : "/?page=" + n; }
    if (data.page > 1) {
      items.push(h("li", {}, [h("a", { class: "prev", rel: "prev", href: path(data.page - 1) }, ["\u2039 Previous"])]));
    }
    for (var n = 1; n <= data.pages; n++) {
      items.push(n === data.page
        ? h("li", { class: "current" }, [h("span", { "aria-current": "page" }, [String(n)])])
        : h("li", {}, [h("a", { href: path(n) }, [String(n)])]));
    }
    if (data.page < data.pages) {
      items.push(h("li", {}, [h("a", { class: "next", rel: "next", href: path(data.page + 1) }, ["Next \u203a"])]));
    }
    return h("nav", { class: "pagination", "aria-label": "Pages" }, [h("ul", {}, items)]);
  }

  function renderList(data) {
    var section = h("section", { class: "result-list" }, [
      h("h1", { class: "results-title" }, ["Latest ads ", h("span", { class: "count" }, [data.total + " ads"])])
    ]);
    data.ads.forEach(function (ad) { section.appendChild(card(ad)); });
    section.appendChild(pagination(data));
    app.textContent = "";
    app.appendChild(section);
  }

  function renderAd(ad) {
    document.title = ad.title + " | " + SITE_NAME;
    var time = h("time", { class: "posted", datetime: ad.posted.datetime }, [ad.posted.text]);
    var gallery = ad.images.length
      ? ad.images.map(function (src, i) {
          return h("img", { src: src, alt: ad.title + " " + (i + 1), loading: "lazy" });
        })
      : [h("span", { class: "no-photo" }, ["No photos"])];
    var attributes = ad.attributes.map(function (pair) {
      return h("li", {}, [h("span", { class: "attr-name" }, [pair[0]]), h("span", { class: "attr-value" }, [pair[1]])]);
    });
    var contacts = ad.contacts.length
      ? h("ul", { class: "contact-lines" }, ad.contacts.map(function (c) {
          var inner = c.type === "email" ? h("a", { href: "mailto:" + c.text }, [c.text]) : c.text;
          return h("li", { class: "contact-" + c.type }, [inner]);
        }))
      : h("p", { class: "no-contact" }, ["Contact the seller by message."]);
    var seller = ad.seller;
    app.textContent = "";
    app.appendChild(h("ol", { class: "breadcrumb" }, [
      h("li", {}, [h("a", { href: "/" }, ["Home"])]),
      h("li", {}, [h("span", {}, [ad.category.name])]),
      h("li", { "aria-current": "page" }, [ad.title])
    ]));
    app.appendChild(h("div", { class: "ad-page" }, [
      h("article", { class: "ad", "data-ad-id": ad.id }, [
        h("header", { class: "ad-header" }, [
          h("h1", { class: "ad-title" }, [ad.title]),
          h("div", { class: "ad-price" }, [h("span", { class: "price" }, [ad.price])]),
          h("div", { class: "ad-meta" }, [
            h("span", { class: "posted-label" }, ["Posted"]), " ", time, " \u00b7 ",
            h("span", { class: "ad-ref" }, ["Ad ID: " + ad.id])
          ])
        ]),
        h("div", { class: "gallery" }, gallery),
        h("section", { class: "ad-details" }, [h("h2", {}, ["Details"]), h("ul", { class: "attributes" }, attributes)]),
        h("section", { class: "ad-description" }, [
          h("h2", {}, ["Description"]),
          h("div", { class: "description" }, ad.description.map(function (p) { return h("p", {}, [p]); }))
        ]),
        h("section", { class: "ad-location" }, [
          h("h2", {}, ["Location"]),
          h("div", { class: "location" }, [ad.location])
        ])
      ]),
      h("aside", { class: "sidebar" }, [
        h("div", { class: "seller" }, [
          h("h3", {}, ["Seller"]),
          h("a", { class: "seller-name", href: seller.url }, [seller.name]),
          h("p", {}, [
            h("span", { class: "seller-type" }, [seller.business ? "Business" : "Private seller"]), " \u00b7 ",
            h("span", { class: "member-since" }, ["on " + SITE_NAME + " since " + seller.since])
          ])
        ]),
        h("div", { class: "contact" }, [h("h3", {}, ["Contact"]), contacts])
      ])
    ]));
  }

  // The infinite-scroll view: one page of cards, the next page appended each time the reader reaches the end.
  function renderFeed(data) {
    var section = h("section", { class: "result-list feed" }, [h("h1", { class: "results-title" }, ["All ads"])]);
    var next = null;
    var loading = false;
    function add(page) {
      page.ads.forEach(function (ad) { section.appendChild(card(ad)); });
      next = page.next;
    }
    app.textContent = "";
    app.appendChild(section);
    add(data);
    window.addEventListener("scroll", function () {
      if (!next || loading || window.innerHeight + window.scrollY < document.body.scrollHeight - 200) return;
      loading = true;
      getJSON(next).then(function (page) { add(page); loading = false; });
    });
  }

  function fail(error) {
    app.textContent = "Sorry, the ads could not be loaded (" + error.message + ").";
    app.setAttribute("data-ready", "error");
  }

  function ready() { app.setAttribute("data-ready", "1"); }

  var SITE_NAME = document.body.getAttribute("data-site") || "";
  if (window.location.pathname === "/ad.html") {
    getJSON("/api/ad/" + encodeURIComponent(param("id") || "")).then(renderAd).then(ready, fail);
  } else if (window.location.pathname === "/feed") {
    getJSON("/api/ads?page=1").then(renderFeed).then(ready, fail);
  } else {
    getJSON("/api/ads?page=" + (parseInt(param("page"), 10) || 1)).then(renderList).then(ready, fail);
  }
})();
"""


def shell(title: str) -> bytes:
    """The page every app route serves before its script runs: no ads in it."""
    main = f"""<main class="container" id="app"><p class="loading">Loading ads&hellip;</p></main>
<noscript><p class="container">{SITE} needs JavaScript to show ads.</p></noscript>
<script>{APP_JS}</script>"""
    page = layout(title, main).decode()
    return page.replace("<body>", f'<body data-site="{SITE}">', 1).encode()


def _json(data: Any) -> Page:
    return Page(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), JSON_TYPE)


def ad_path(ad: market.Ad) -> str:
    return f"/ad.html?id={ad.id}"


def summary(ad: market.Ad) -> dict[str, Any]:
    first = ad.paragraphs[0]
    return {
        "id": ad.id,
        "url": ad_path(ad),
        "title": ad.title,
        "snippet": first[:90] + ("\u2026" if len(first) > 90 else ""),
        "price": ad.price_raw,
        "location": ad.location,
        "posted": {"text": ad.posted_text, "datetime": ad.posted_attr},
        "thumb": ad.images[0] if ad.images else None,
    }


def detail(ad: market.Ad) -> dict[str, Any]:
    seller = ad.seller
    return {
        **summary(ad),
        "category": {"name": ad.category.name, "slug": ad.category.slug},
        "description": list(ad.paragraphs),
        "attributes": [list(pair) for pair in ad.attributes],
        "images": list(ad.images),
        "seller": {
            "id": seller.id,
            "name": seller.name,
            "url": f"/user/{seller.id}",
            "business": seller.business,
            "since": seller.since,
        },
        "contacts": [{"type": kind, "text": line} for kind, line in ad.contacts],
    }


def user_page(seller: market.Seller) -> bytes:
    kind = "Business" if seller.business else "Private seller"
    main = f"""<main class="container user-page">
<ol class="breadcrumb"><li><a href="/">Home</a></li><li aria-current="page">{escape(seller.name)}</li></ol>
<section class="profile"><h1 class="user-name">{escape(seller.name)}</h1>
<p>{kind} &middot; on {SITE} since {seller.since}</p></section>
</main>"""
    return layout(seller.name, main)


@dataclass
class MarketJS:
    """A built JavaScript variant of the demo marketplace."""

    ads: list[market.Ad]
    edited: list[str]
    name: str = NAME

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.ads) // PER_PAGE))

    def pages(self) -> dict[str, Page]:
        pages: dict[str, Page] = {"/robots.txt": Page(ROBOTS_TXT.encode(), "text/plain; charset=utf-8")}
        for number in range(1, self.page_count + 1):
            pages["/" if number == 1 else f"/?page={number}"] = Page(shell("Latest ads"))
            chunk = self.ads[(number - 1) * PER_PAGE : number * PER_PAGE]
            pages[f"/api/ads?page={number}"] = _json(
                {
                    "page": number,
                    "pages": self.page_count,
                    "per_page": PER_PAGE,
                    "total": len(self.ads),
                    "ads": [summary(ad) for ad in chunk],
                    "next": f"/api/ads?page={number + 1}" if number < self.page_count else None,
                }
            )
        pages["/feed"] = Page(shell("All ads"))
        for ad in self.ads:
            pages[ad_path(ad)] = Page(shell("Ad"))
            pages[f"/api/ad/{ad.id}"] = _json(detail(ad))
            pages.setdefault(f"/user/{ad.seller.id}", Page(user_page(ad.seller)))
        for path, (title, text) in STATIC.items():
            pages[path] = Page(static_page(title, text))
        return pages

    def truth(self, base_url: str, site: str) -> list[dict[str, Any]]:
        """What a crawl that renders the pages in a browser stores (with the ``classifieds`` extractor)."""
        return [market.ad_truth(ad, base_url, site, ad_path(ad)) for ad in self.ads]


def build(options: BuildOptions | None = None) -> MarketJS:
    """Every sixth ad of the marketplace built with the same options, plus its reposts."""
    plain = market.build(options)
    ads = [ad for i, ad in enumerate(plain.ads) if i % EVERY == 0 or ad.repost_of]
    shown = {ad.id for ad in ads}
    return MarketJS(ads, [ad_id for ad_id in plain.edited if ad_id in shown])
