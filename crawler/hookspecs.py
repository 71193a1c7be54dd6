"""The Trawler hook contract: every hook a plugin can implement.

A plugin is a module or object with functions named after these hooks and
decorated with :data:`crawler.plugins.hookimpl`. Built-in plugins (the
``plugins`` package) and third-party packages register the same way: through
the ``trawler.plugins`` entry-point group. Unknown ``trawler_*`` functions are
an error at start-up (``check_pending``), so a misspelt hook never silently
does nothing.

Isolation: an implementation that raises is logged with its plugin's name,
counted (``trawler/hook_errors/<plugin>/<hook>`` in the crawl stats) and
treated as if it had returned ``None``; the crawl goes on. Hook wrappers
(``wrapper=True``) are not isolated: they see the exception and decide.

Hooks are grouped by the phase in which they run. ``docs/hooks.md`` is
generated from these docstrings (``trawler plugins docs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from scrapy.http import Response

    from crawler.platform import PlatformTypeSpec
    from crawler.profiles import SiteProfile

PROJECT = "trawler"

hookspec = pluggy.HookspecMarker(PROJECT)


# ---------------------------------------------------------------------------
# Registration: run once when the plugin manager starts
# ---------------------------------------------------------------------------


@hookspec
def trawler_register_platform_types() -> list[PlatformTypeSpec]:
    """Declare the platform types this plugin provides.

    Runs once when the plugin manager is built.

    :return: a list of :class:`crawler.platform.PlatformTypeSpec` (name, spider
        class, description). A platform type name may be provided by one
        plugin only; a second provider is an error at start-up.
    """


@hookspec
def trawler_register_site_profiles() -> list[str]:
    """Declare site profile files or folders this plugin ships.

    Runs once when the site profiles are loaded (``trawler sites``, ``scrapy
    list``, before every crawl).

    :return: paths of ``.yaml``/``.yml``/``.toml`` profile files, or of folders
        holding them. Profiles in ``TRAWLER_PROFILE_DIRS`` are loaded too.
    """


@hookspec
def trawler_register_profile_options() -> dict[str, type]:
    """Declare site-profile sections this plugin reads, with their defaults and validation.

    Runs when site profiles are loaded. A profile may then hold a section
    named after each key; it is validated with the pydantic model given here
    (errors name the file and ``<section>.<field>``) and available to the
    plugin as ``profile.options[<section>]``, an instance of the model (built
    from its defaults when the profile has no such section).

    :return: ``{section name: pydantic model class}``; a section name may be
        declared by one plugin only and may not be a core profile field.
    """


@hookspec
def trawler_register_fixtures() -> list[str]:
    """Declare folders of extraction fixtures (saved pages with their expected listings).

    Runs when fixtures are checked (``tests/test_fixtures.py``, ``trawler
    fixtures check``). Each folder holds one sub-folder per fixture, in the
    format of :mod:`crawler.fixtures`.

    :return: paths of fixture folders.
    """


@hookspec
def trawler_register_settings() -> dict[str, Any]:
    """Contribute default Scrapy settings.

    Runs when a crawl's settings are assembled, before the project settings
    module and the site profile apply theirs: a plugin's defaults never
    override what a user set.

    :return: a dict of setting names to default values, or a pydantic model
        class whose fields are the setting names (with their defaults and
        validation): then the crawl's final value of each is validated when
        the crawl starts, and a bad one stops it with the plugin's name, the
        setting and the reason. Prefix the names with the plugin's own prefix
        (``FORUM_*``) to avoid clashes.
    """


# ---------------------------------------------------------------------------
# Crawling: once per site profile, then per response
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def trawler_spider_for_profile(profile: SiteProfile) -> type | None:
    """Choose the Scrapy spider class that crawls ``profile``.

    Runs when a site profile is turned into a spider. Stops at the first
    non-``None`` result. When no implementation answers, the spider of the
    profile's platform type is used, so a plugin only implements this hook to
    override that choice for some profiles.

    :param profile: the validated site profile.
    :return: a subclass of :class:`crawler.spiders.ProfileSpider`, or ``None``
        to let the next implementation decide.
    """


@hookspec(firstresult=True)
def trawler_extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict] | None:
    """Extract raw listings from one page.

    Runs for every page the spider identifies as holding listings. Stops at
    the first non-``None`` result, so the most specific extractor (a site
    override, ``tryfirst``) wins over an engine preset, and a generic
    fallback (``trylast``) runs only when nothing else answered.

    :param response: the Scrapy response.
    :param profile: the site profile being crawled.
    :param page_type: what the spider took the page for (``thread``,
        ``ad``, ``business``...; the platform type's spider documents its
        page types).
    :return: a list of raw listing dicts (fields of
        :class:`crawler.models.Listing`; ``site``, ``platform_type`` and
        ``url`` are filled in when missing), ``[]`` when the page holds none,
        or ``None`` when this implementation does not handle the page.
    """


# ---------------------------------------------------------------------------
# Processing: per listing, in the storage pipeline
# ---------------------------------------------------------------------------


@hookspec
def trawler_enrich_listing(listing: dict[str, Any], profile: SiteProfile | None) -> None:
    """Add to or normalise one raw listing before it is validated.

    Runs for every extracted listing, in plugin order (use ``tryfirst`` /
    ``trylast`` to place yourself). Mutate ``listing`` in place; the return
    value is ignored. An implementation that raises is counted and skipped;
    what it changed before raising stays, so change the dict last.

    :param listing: the raw listing dict.
    :param profile: the site profile it came from (``None`` when re-processing
        stored data without a profile).
    """


@hookspec
def trawler_listing_stored(listing: dict[str, Any], change: str) -> None:
    """React to a listing written to the database.

    Runs after each batch is written, once per listing in the batch, in the
    storage thread (do not touch the Twisted reactor from here).

    :param listing: the stored document.
    :param change: ``"new"``, ``"updated"`` or ``"unchanged"``.
    """


# ---------------------------------------------------------------------------
# End of a run
# ---------------------------------------------------------------------------


@hookspec
def trawler_crawl_finished(run: dict[str, Any]) -> None:
    """React to the end of a crawl run.

    Runs once per site crawl, after the last batch is stored and the
    ``crawl_runs`` record is final.

    :param run: the ``crawl_runs`` document: site, status, start/end times,
        counts of pages, listings new/updated/unchanged, quarantined items and
        errors.
    """
