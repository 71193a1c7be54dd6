"""A third-party plugin: the "guestbook" platform type, with deliberate failures for the tests.

- a page whose body has class "malformed" makes the extractor raise;
- a listing whose title contains "BOOM" makes the enricher raise;
- an entry with neither title nor text fails validation.
"""

import json
import os
from pathlib import Path

from crawler.platform import PlatformTypeSpec
from crawler.plugins import hookimpl
from crawler.spiders import ProfileSpider


class GuestbookSpider(ProfileSpider):
    def parse(self, response):
        for page in self.extract(response, "page"):
            for listing in page.listings:
                # Shows that the plugin's trawler_register_settings default reached the crawl settings.
                listing["extra"] = {"greeting": self.settings.get("GUESTBOOK_GREETING")}
            yield page
        for href in response.css("a.page::attr(href)").getall():
            yield response.follow(href, callback=self.parse)


@hookimpl
def trawler_register_platform_types():
    return [PlatformTypeSpec("guestbook", GuestbookSpider, "one-page guestbooks (test plugin)", ("page",))]


@hookimpl
def trawler_register_site_profiles():
    return [str(Path(__file__).parent / "profiles")]


@hookimpl
def trawler_extract_listings(response, profile, page_type):
    if profile.platform_type != "guestbook":
        return None
    if response.css("body.malformed"):
        raise ValueError("this page is malformed")
    found = []
    for entry in response.css("div.entry"):
        found.append(
            {
                "kind": "post",
                "native_id": entry.attrib["data-id"],
                "title": entry.css("h2::text").get(),
                "body": entry.css("p::text").get(),
            }
        )
    return found


@hookimpl
def trawler_enrich_listing(listing, profile):
    listing.setdefault("extra", {})["enriched_by"] = "guestbook"
    if "BOOM" in (listing.get("title") or ""):
        raise RuntimeError("enricher exploded")


@hookimpl
def trawler_register_settings():
    return {"GUESTBOOK_GREETING": "hello from the guestbook plugin"}


@hookimpl
def trawler_listing_stored(listing, change):
    events = os.environ.get("SAMPLE_EVENTS_FILE")
    if events:
        with open(events, "a", encoding="utf-8") as out:
            out.write(json.dumps({"event": "stored", "id": listing["_id"], "change": change}) + "\n")


@hookimpl
def trawler_crawl_finished(run):
    events = os.environ.get("SAMPLE_EVENTS_FILE")
    if events:
        with open(events, "a", encoding="utf-8") as out:
            out.write(json.dumps({"event": "finished", "site": run["site"], "status": run["status"]}) + "\n")
