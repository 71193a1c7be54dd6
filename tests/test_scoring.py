"""Field-level scoring of extractors, and the fixtures command line."""

from __future__ import annotations

import json
from pathlib import Path

from crawler.scoring import match, score_pairs
from tests.conftest import run_cli, start_demo

WANT = [
    {"_id": "s:post:1", "kind": "post", "title": "Jobs in Berlin", "body": "Call 0151 now", "author": {"name": "A"},
     "posted_at": "2026-03-09T14:05:00+00:00"},
    {"_id": "s:post:2", "kind": "post", "title": None, "body": "Visa paid, flights paid, start now",
     "author": {"name": "B"}, "price": {"amount": 1200, "currency": "EUR"}},
]  # fmt: skip


def test_listings_match_by_id_then_by_text_and_fields_are_counted() -> None:
    got = [
        {"_id": "s:post:1", "kind": "post", "title": "Jobs in  Berlin", "body": "Call 0151 now",
         "author": {"name": "Z"}, "posted_at": "2026-03-09T14:05:30+00:00"},
        {"_id": "s:post:x9", "kind": "post", "body": "Visa paid, flights paid, start now!", "author": {"name": "B"},
         "price": {"amount": 1200.004, "currency": "EUR"}},
        {"_id": "s:post:3", "kind": "post", "body": "an extra post nobody expected"},
    ]  # fmt: skip
    pairs = match(WANT, got)
    assert [(w and w["_id"], g and g["_id"]) for w, g in pairs] == [
        ("s:post:1", "s:post:1"), ("s:post:2", "s:post:x9"), (None, "s:post:3"),
    ]  # fmt: skip
    counts = score_pairs(pairs)
    assert (counts["title"].tp, counts["title"].fp, counts["title"].fn) == (1, 0, 0)  # white space folded
    assert (counts["author"].tp, counts["author"].fp, counts["author"].fn) == (1, 1, 1)  # "Z" is wrong
    assert (counts["date"].tp, counts["date"].fn) == (1, 0)  # compared to the minute
    assert (counts["price"].tp, counts["price"].precision) == (1, 1.0)  # compared to 0.01
    assert (counts["body"].tp, counts["body"].fp, counts["body"].fn) == (1, 2, 1)
    assert counts["body"].recall == 0.5


def test_fixtures_record_check_and_score_from_the_command_line(tmp_path: Path) -> None:
    demo = start_demo()
    try:
        url = demo.server.urls["market"] + "/ad/a10014"
        into = tmp_path / "fixtures" / "demo-ad"
        env = dict(demo.env)
        result = run_cli(["fixtures", "record", url, "--site", "demo-market", "--page-type", "ad", "--into",
                          str(into)], env)  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "with 1 expected listings" in " ".join(result.stdout.split())
        meta = json.loads((into / "fixture.json").read_text())
        assert (meta["page_type"], meta["platform_type"], meta["profile"]["engine"]) == (
            "ad",
            "marketplace",
            "classifieds",
        )
        assert "Date" in meta["headers"] or "date" in meta["headers"]
        (recorded,) = json.loads((into / "expected.json").read_text())
        truth = {t["_id"]: t for t in demo.truth()["demo-market"]}
        assert recorded["_id"] == "demo-market:ad:a10014"
        assert recorded["title"] == truth["demo-market:ad:a10014"]["title"]
        assert recorded["price"]["raw"] == truth["demo-market:ad:a10014"]["price"]["raw"]
        again = run_cli(["fixtures", "record", url, "--site", "demo-market", "--page-type", "ad", "--into",
                         str(into)], env)  # fmt: skip
        assert again.returncode == 1 and "already holds a fixture" in again.stderr
    finally:
        demo.server.stop()
    check = run_cli(["fixtures", "check"], {})
    assert check.returncode == 0, check.stderr[-2000:]
    assert "0 changed" in check.stdout
