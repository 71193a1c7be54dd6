"""Watchlists: an analyst saves a search or an entity, and the listings that are new or changed since
then collect as hits in the watchlist, with a notice through the alert channels if they ask for one.

Modules: ``models`` (what a watchlist and a hit are, validated), ``store`` (the ``watchlists`` and
``watchlist_hits`` collections), ``service`` (create, read with counts), ``checker`` (find and record
hits, advance checkpoints), ``notify`` (the notice), ``after_run`` (what the storage pipeline calls at the
end of a crawl). The CLI is crawler/cli/watch.py, the web page and API crawler/web/routes/watchlists.py.
docs/web.md ("Watchlists") says how they behave.
"""

from crawler.watchlists.checker import CheckResult, check_watchlists
from crawler.watchlists.models import Change, ChannelName, Hit, Kind, Watchlist, WatchlistSpec
from crawler.watchlists.service import UnknownEntity, WatchlistSummary, create, summaries
from crawler.watchlists.store import WatchlistExists

__all__ = [
    "Change",
    "ChannelName",
    "CheckResult",
    "Hit",
    "Kind",
    "UnknownEntity",
    "Watchlist",
    "WatchlistExists",
    "WatchlistSpec",
    "WatchlistSummary",
    "check_watchlists",
    "create",
    "summaries",
]
