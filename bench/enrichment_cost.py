"""What each enrichment plugin costs per listing, on the demo platforms' listings, against a baseline.

    python bench/enrichment_cost.py [--scale 2] [--rounds 5]

The listings are the demo generator's ground truth (what the extractors produce), so the texts, locations and
contact lines are those of a real crawl. Each enricher runs alone over all of them (after the plugins it depends
on, whose results are computed beforehand and not timed); the best of ``--rounds`` rounds is kept, since other
processes on the machine only ever slow a round down. The baseline, measured in the same run, is validating the
same listings with the Listing model (work every stored listing pays anyway), so the ratio says how much an
enricher adds to it. Start-up (loading models and gazetteers) is timed separately.
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from crawler.demo.base import BuildOptions
from crawler.demo.server import ground_truth, urls_for
from crawler.models import Listing


def listings(scale: int) -> list[dict[str, Any]]:
    truth = ground_truth(BuildOptions(seed=7, scale=scale, now=datetime.now(UTC)), urls_for(20000))
    sites = ("demo-forum", "demo-market", "demo-reviews")
    return [{k: v for k, v in item.items() if not k.startswith("_")} for site in sites for item in truth[site]]


def best_of(rounds: int, items: list[dict[str, Any]], work: Callable[[dict[str, Any]], None]) -> float:
    best = float("inf")
    for _ in range(rounds):
        batch = copy.deepcopy(items)
        began = time.perf_counter()
        for item in batch:
            work(item)
        best = min(best, (time.perf_counter() - began) / len(batch))
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    items = listings(args.scale)
    profile = SimpleNamespace(country=None)

    startup: dict[str, float] = {}
    began = time.perf_counter()
    from crawler.language import identifier

    identifier()
    startup["language model"] = time.perf_counter() - began
    began = time.perf_counter()
    from plugins.location.gazetteer import gazetteer

    gazetteer()
    startup["gazetteer"] = time.perf_counter() - began
    began = time.perf_counter()
    from plugins.indicators import trawler_enrich_listing as indicators

    indicators(listing={"title": "warm", "body": "up"}, profile=profile)
    startup["indicator lexicons"] = time.perf_counter() - began

    from plugins.contacts import trawler_enrich_listing as contacts
    from plugins.language import trawler_enrich_listing as language
    from plugins.location import trawler_enrich_listing as location

    # Each enricher sees what the ones before it in the hook order produced.
    prepared = copy.deepcopy(items)
    for item in prepared:
        language(listing=item, profile=profile)
        location(listing=item, profile=profile)

    baseline = best_of(args.rounds, items, lambda item: Listing.model_validate(item))
    costs = {
        "language": best_of(args.rounds, items, lambda item: language(listing=item, profile=profile)),
        "location": best_of(args.rounds, items, lambda item: location(listing=item, profile=profile)),
        "indicators": best_of(args.rounds, prepared, lambda item: indicators(listing=item, profile=profile)),
        "contacts": best_of(args.rounds, prepared, lambda item: contacts(listing=item, profile=profile)),
    }
    print(f"{len(items)} demo listings (scale {args.scale}), best of {args.rounds} rounds")
    print(f"{'baseline: Listing validation':32} {baseline:8.1f} µs/listing")
    for name, cost in costs.items():
        print(f"{name:32} {cost:8.1f} µs/listing  ({cost / baseline:.2f}x validation)")
    print(f"{'all four':32} {sum(costs.values()):8.1f} µs/listing  ({sum(costs.values()) / baseline:.2f}x validation)")
    for name, seconds in startup.items():
        print(f"start-up, {name:22} {seconds * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
