"""The checks: compare one finished crawl run with the same site's recent runs and say what looks wrong.

Pure functions over run documents (as stored in ``crawl_runs``), so each check
is tested with constructed histories. The baseline of a measure is its median
over the history runs that have it, which one odd run cannot move.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from crawler.monitoring.config import Thresholds

CRITICAL = "critical"
WARNING = "warning"


@dataclass(frozen=True)
class Alert:
    check: str
    severity: str
    message: str
    value: Any
    baseline: Any
    subject: str | None = None  # what the alert is about, when more precise than the run: "ad.posted_at"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median(values: Iterable[float | int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def _pct(fraction: float) -> str:
    return f"{fraction * 100:.1f}".removesuffix(".0") + "%"


def _num(value: float) -> str:
    return f"{value:g}"


def _counts(run: dict[str, Any]) -> dict[str, Any]:
    return run.get("counts") or {}


def listings_seen(run: dict[str, Any]) -> int | None:
    """Listings the run saw: extracted, plus (incremental runs) those confirmed unchanged without re-reading."""
    seen = run.get("listings_seen")
    return int(seen) if seen is not None else _counts(run).get("listings_extracted")


def error_rate(counts: dict[str, Any]) -> float:
    """Errors per request; a run with errors and no request at all has a rate of 1."""
    errors, requests = int(counts.get("errors") or 0), int(counts.get("requests") or 0)
    return round(errors / requests, 4) if requests else (1.0 if errors else 0.0)


def check_run(run: dict[str, Any], history: list[dict[str, Any]], t: Thresholds) -> list[Alert]:
    """Every alert for ``run`` given ``history`` (the site's earlier finished runs, newest first)."""
    site = run.get("site", "?")
    alerts: list[Alert] = []
    status = run.get("status")
    if status == "failed":
        alerts.append(_run_failed(run, site))
    # A run that resumed an interrupted crawl (crawler/jobs/) saw only what was left after the restart:
    # its counts say nothing about the site's volume, and make no baseline.
    whole = not run.get("resumed_from")
    history = [h for h in history if not h.get("resumed_from")]
    compare = len(history) >= t.min_history
    if status == "finished":
        if whole:
            alerts += _listings(run, history if compare else [], t, site)
        if compare and listings_seen(run):  # with no listings at all, zero_items says it all
            alerts += _coverage(run, history, t, site, whole)
    alerts += _rates(run, history if compare else [], t, site)
    return alerts


def _run_failed(run: dict[str, Any], site: str) -> Alert:
    reason = run.get("finish_reason") or "unknown"
    error = f": {run['error']}" if run.get("error") else ""
    return Alert(
        "run_failed",
        CRITICAL,
        f"The crawl of {site} did not finish ({reason}{error}). Read the crawl log and the run record "
        f"(`trawler runs --site {site}`) for the cause, fix it and crawl again.",
        reason,
        "finished",
    )


def _listings(run: dict[str, Any], history: list[dict[str, Any]], t: Thresholds, site: str) -> list[Alert]:
    found = int(listings_seen(run) or 0)
    baseline = _median(listings_seen(h) for h in history)
    if found == 0:
        pages = int(_counts(run).get("pages") or 0)
        return [
            Alert(
                "zero_items",
                CRITICAL,
                f"The crawl of {site} extracted no listings from {pages} pages. The site may be down, blocking the "
                "crawler, or changed so that its pages are no longer recognised: open a start page in a browser, "
                "then run `trawler fixtures check`.",
                0,
                baseline,
            )
        ]
    if baseline and found < baseline * (1 - t.listings_drop):
        drop = 1 - found / baseline
        return [
            Alert(
                "listings_drop",
                WARNING,
                f"{site} gave {found} listings, {_pct(drop)} fewer than the median of its last {len(history)} runs "
                f"({_num(baseline)}). Check whether the site removed content or the crawl missed pages (blocked "
                "pages, a changed menu or pagination): compare the pages counted in `trawler runs`.",
                found,
                baseline,
            )
        ]
    return []


def _coverage(
    run: dict[str, Any], history: list[dict[str, Any]], t: Thresholds, site: str, whole: bool = True
) -> list[Alert]:
    alerts: list[Alert] = []
    now_totals: dict[str, int] = run.get("listings_by_kind") or {}
    now_coverage: dict[str, dict[str, float]] = run.get("coverage") or {}
    kinds = sorted({k for h in history for k in (h.get("listings_by_kind") or {})})
    for kind in kinds:
        past = [h for h in history if (h.get("listings_by_kind") or {}).get(kind)]
        usual = _median(h["listings_by_kind"][kind] for h in past)
        if usual is None or usual < t.min_kind_listings:
            continue
        count = int(now_totals.get(kind) or 0)
        if count == 0 and whole:
            alerts.append(
                Alert(
                    "kind_missing",
                    WARNING,
                    f"{site} gave no {kind} listings, against a median of {_num(usual)} in its last {len(history)} "
                    f"runs: the pages that hold them are no longer reached or recognised. Check the navigation to "
                    f"and the extraction of {kind} pages.",
                    0,
                    usual,
                    kind,
                )
            )
            continue
        if count < t.min_kind_listings:
            continue  # too few to judge a fraction; the listings check speaks for the totals
        fields = sorted({f for h in past for f in (h.get("coverage") or {}).get(kind, {})} - set(t.ignore_fields))
        for field in fields:
            base = _median((h.get("coverage") or {}).get(kind, {}).get(field) for h in past)
            value = float((now_coverage.get(kind) or {}).get(field, 0.0))
            if base is not None and round(base - value, 6) > t.coverage_drop:
                alerts.append(
                    Alert(
                        "coverage_drop",
                        WARNING,
                        f"{field} was found on {_pct(value)} of {site}'s {kind} listings, against {_pct(base)} in "
                        f"its last {len(past)} runs: the site's layout has probably changed. Save a current page "
                        f"as a fixture (`trawler fixtures record`) and fix the {field} extraction.",
                        value,
                        base,
                        f"{kind}.{field}",
                    )
                )
    return alerts


def _rates(run: dict[str, Any], history: list[dict[str, Any]], t: Thresholds, site: str) -> list[Alert]:
    alerts: list[Alert] = []
    counts = _counts(run)
    rate = error_rate(counts)
    usual = _median(error_rate(_counts(h)) for h in history)
    if (why := _too_high(rate, usual, t.max_error_rate, t.rate_rise)) is not None:
        alerts.append(
            Alert(
                "error_rate",
                WARNING,
                f"{_pct(rate)} of {site}'s requests ended in an error ({counts.get('errors', 0)} errors, "
                f"{counts.get('requests', 0)} requests), {why}. See the errors by kind in the run record and the "
                "crawl log.",
                rate,
                usual,
            )
        )
    ban = float(run.get("ban_rate") or 0.0)
    usual_ban = _median(h.get("ban_rate") for h in history)
    if (why := _too_high(ban, usual_ban, t.max_ban_rate, t.rate_rise)) is not None:
        by = ", ".join(f"{n} x {kind}" for kind, n in (run.get("blocked_by") or {}).items())
        alerts.append(
            Alert(
                "ban_rate",
                CRITICAL if ban > t.max_ban_rate else WARNING,
                f"{_pct(ban)} of the responses from {site} were blocked pages ({by}), {why}. The site is refusing "
                "the crawler: slow down (politeness.download_delay, politeness.concurrency_per_domain), check "
                "robots.txt and the proxy, and look at a blocked page before crawling again.",
                ban,
                usual_ban,
            )
        )
    return alerts


def _too_high(rate: float, usual: float | None, limit: float, rise: float) -> str | None:
    """Why ``rate`` deserves an alert (above the limit, or risen above the usual), or ``None``."""
    if rate > limit:
        return f"above the limit of {_pct(limit)}"
    if usual is not None and round(rate - usual, 6) >= rise:
        return f"up from {_pct(usual)} usually"
    return None
