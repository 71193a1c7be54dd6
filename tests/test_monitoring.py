"""Monitoring after each crawl run: the checks on constructed run histories, thresholds and profile sections,
field coverage, blocked-page counting, the alert channels against real local servers, and end to end: three real
crawls of the demo marketplace, the third against a server that changed its layout and blocks some pages."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pymongo
import pytest
from aiosmtpd.controller import Controller
from scrapy.http import HtmlResponse, Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.cli.alerts import alerts_summary
from crawler.demo import market
from crawler.demo.base import BuildOptions
from crawler.models import Listing
from crawler.monitoring.blocking import BlockedPagesMiddleware, blocked_from_stats
from crawler.monitoring.channels import (
    SIGNATURE_HEADER,
    EmailChannel,
    Notice,
    WebhookChannel,
    channels_from_settings,
    deliver,
)
from crawler.monitoring.checks import Alert, check_run
from crawler.monitoring.config import (
    DEFAULT_BLOCK_MARKERS,
    MonitoringOptions,
    MonitoringSettingError,
    Thresholds,
    resolve,
)
from crawler.monitoring.coverage import FieldCoverage, coverage_from_stats
from crawler.monitoring.monitor import RunMonitor, alert_notice
from crawler.monitoring.store import latest_alerts, recent_runs
from crawler.profiles import ProfileError, load_profile
from crawler.storage.schema import RUNS
from tests.conftest import EXTRACTION_ONLY, MongoServer, Received, RunningDemo, run_cli, start_demo

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
DEFAULTS = Thresholds()

# ---------------------------------------------------------------------------
# The checks, on constructed run histories
# ---------------------------------------------------------------------------


def run_doc(
    n: int = 0,
    *,
    listings: int = 200,
    posted: float = 0.98,
    status: str = "finished",
    errors: int = 0,
    requests: int = 250,
    ban_rate: float = 0.0,
    blocked_by: dict[str, int] | None = None,
    kinds: dict[str, int] | None = None,
    site: str = "shop",
) -> dict[str, Any]:
    """A run record as the pipeline leaves it: ``n`` days after T0, 200 ads with posted dates on 98 %."""
    kinds = {"ad": listings} if kinds is None else kinds
    return {
        "_id": f"{site}-run{n}",
        "site": site,
        "status": status,
        "finish_reason": "finished" if status == "finished" else "login_failed",
        "started_at": T0 + timedelta(days=n),
        "counts": {"pages": requests, "requests": requests, "listings_extracted": listings, "errors": errors},
        "listings_by_kind": kinds,
        "coverage": {kind: {"title": 1.0, "posted_at": posted, "price": 0.9} for kind in kinds},
        "ban_rate": ban_rate,
        "blocked_by": blocked_by or {},
    }


HISTORY = [run_doc(n) for n in (5, 4, 3, 2, 1)]  # newest first, as the store returns them


def test_a_normal_run_raises_no_alert() -> None:
    assert check_run(run_doc(6, listings=190, posted=0.97, errors=3), HISTORY, DEFAULTS) == []


def test_first_runs_have_no_baseline_and_raise_only_absolute_alerts() -> None:
    # Half the listings and no posted dates: no alert without history to compare with...
    assert check_run(run_doc(1, listings=100, posted=0.0), [], DEFAULTS) == []
    assert check_run(run_doc(2, listings=100, posted=0.0), HISTORY[:1], DEFAULTS) == []  # min_history is 2
    # ...but an empty or failed run, or one the site blocked, is wrong whatever came before.
    assert [a.check for a in check_run(run_doc(1, listings=0, kinds={}), [], DEFAULTS)] == ["zero_items"]
    assert [a.check for a in check_run(run_doc(1, ban_rate=0.2, blocked_by={"429": 50}), [], DEFAULTS)] == ["ban_rate"]


def test_run_failed() -> None:
    run = {**run_doc(6, status="failed", listings=0, kinds={}), "error": "login to shop failed: wrong password"}
    assert check_run(run, HISTORY, DEFAULTS) == [
        Alert(
            "run_failed",
            "critical",
            "The crawl of shop did not finish (login_failed: login to shop failed: wrong password). Read the crawl "
            "log and the run record (`trawler runs --site shop`) for the cause, fix it and crawl again.",
            "login_failed",
            "finished",
        )
    ]


def test_cancelled_and_interrupted_runs_raise_nothing() -> None:
    for status in ("cancelled", "interrupted"):
        assert check_run(run_doc(6, status=status, listings=3, kinds={"ad": 3}), HISTORY, DEFAULTS) == []


def test_zero_items() -> None:
    run = run_doc(6, listings=0, kinds={}, requests=4)
    assert check_run(run, HISTORY, DEFAULTS) == [
        Alert(
            "zero_items",
            "critical",
            "The crawl of shop extracted no listings from 4 pages. The site may be down, blocking the crawler, or "
            "changed so that its pages are no longer recognised: open a start page in a browser, then run "
            "`trawler fixtures check`.",
            0,
            200.0,
        )
    ]


def test_listings_drop_against_the_median() -> None:
    alerts = check_run(run_doc(6, listings=130), HISTORY, DEFAULTS)
    assert alerts == [
        Alert(
            "listings_drop",
            "warning",
            "shop gave 130 listings, 35% fewer than the median of its last 5 runs (200). Check whether the site "
            "removed content or the crawl missed pages (blocked pages, a changed menu or pagination): compare the "
            "pages counted in `trawler runs`.",
            130,
            200.0,
        )
    ]
    assert check_run(run_doc(6, listings=141), HISTORY, DEFAULTS) == []  # 29.5 % fewer: under the 30 % threshold


def test_one_odd_run_does_not_move_the_baseline() -> None:
    history = [run_doc(5, listings=20, kinds={"ad": 20}), *HISTORY[1:]]
    assert [(a.check, a.baseline) for a in check_run(run_doc(6, listings=130), history, DEFAULTS)] == [
        ("listings_drop", 200.0)
    ]


def test_incremental_runs_count_the_listings_they_confirmed() -> None:
    run = {**run_doc(6, listings=12, kinds={"ad": 12}), "listings_seen": 198}
    assert check_run(run, HISTORY, DEFAULTS) == []


def test_a_resumed_run_is_judged_on_its_fractions_only_and_makes_no_baseline() -> None:
    resumed = {**run_doc(6, listings=30, posted=0.1, kinds={"ad": 30}), "resumed_from": "shop-run5b"}
    assert [(a.check, a.subject) for a in check_run(resumed, HISTORY, DEFAULTS)] == [("coverage_drop", "ad.posted_at")]
    assert check_run({**resumed, "listings_by_kind": {}, "listings_seen": 0}, HISTORY, DEFAULTS) == []
    history = [{**run_doc(n, listings=10, kinds={"ad": 10}), "resumed_from": "x"} for n in (5, 4)] + HISTORY[2:]
    assert check_run(run_doc(6), history, DEFAULTS) == []


def test_coverage_drop_names_the_kind_and_field() -> None:
    alerts = check_run(run_doc(6, posted=0.1), HISTORY, DEFAULTS)
    assert alerts == [
        Alert(
            "coverage_drop",
            "warning",
            "posted_at was found on 10% of shop's ad listings, against 98% in its last 5 runs: the site's layout "
            "has probably changed. Save a current page as a fixture (`trawler fixtures record`) and fix the "
            "posted_at extraction.",
            0.1,
            0.98,
            "ad.posted_at",
        )
    ]
    assert check_run(run_doc(6, posted=0.74), HISTORY, DEFAULTS) == []  # 24 points: under the 25-point threshold
    assert check_run(run_doc(6, posted=0.1), HISTORY, Thresholds(ignore_fields=("posted_at",))) == []


def test_kind_missing_and_small_kinds() -> None:
    history = [run_doc(n, kinds={"thread": 40, "post": 400}) for n in (5, 4, 3)]
    alerts = check_run(run_doc(6, kinds={"thread": 40, "post": 0}, listings=400), history, DEFAULTS)
    assert [(a.check, a.severity, a.subject, a.value, a.baseline) for a in alerts] == [
        ("kind_missing", "warning", "post", 0, 400.0)
    ]
    # 5 posts is too few to judge their coverage, even with no dates at all.
    assert check_run(run_doc(6, kinds={"thread": 40, "post": 5}, posted=0.0, listings=400), history, DEFAULTS) == [
        Alert(
            "coverage_drop",
            "warning",
            "posted_at was found on 0% of shop's thread listings, against 98% in its last 3 runs: the site's layout "
            "has probably changed. Save a current page as a fixture (`trawler fixtures record`) and fix the "
            "posted_at extraction.",
            0.0,
            0.98,
            "thread.posted_at",
        )
    ]


def test_error_rate_above_the_limit_or_rising() -> None:
    above = check_run(run_doc(6, errors=30, requests=250), HISTORY, DEFAULTS)
    assert above == [
        Alert(
            "error_rate",
            "warning",
            "12% of shop's requests ended in an error (30 errors, 250 requests), above the limit of 10%. See the "
            "errors by kind in the run record and the crawl log.",
            0.12,
            0.0,
        )
    ]
    rising = check_run(run_doc(6, errors=5, requests=250), HISTORY, DEFAULTS)  # 2 %: under 10 %, but up from 0
    assert [(a.check, a.severity, a.message, a.value, a.baseline) for a in rising] == [
        (
            "error_rate",
            "warning",
            "2% of shop's requests ended in an error (5 errors, 250 requests), up from 0% usually. See the errors "
            "by kind in the run record and the crawl log.",
            0.02,
            0.0,
        )
    ]
    assert check_run(run_doc(6, errors=4, requests=250), HISTORY, DEFAULTS) == []  # 1.6 %


def test_ban_rate_critical_above_the_limit_warning_when_rising() -> None:
    run = run_doc(6, ban_rate=0.087, blocked_by={"403": 6, "429": 6})
    assert check_run(run, HISTORY, DEFAULTS) == [
        Alert(
            "ban_rate",
            "critical",
            "8.7% of the responses from shop were blocked pages (6 x 403, 6 x 429), above the limit of 5%. The site "
            "is refusing the crawler: slow down (politeness.download_delay, politeness.concurrency_per_domain), "
            "check robots.txt and the proxy, and look at a blocked page before crawling again.",
            0.087,
            0.0,
        )
    ]
    usual = [run_doc(n, ban_rate=0.01) for n in (5, 4, 3)]
    rising = check_run(run_doc(6, ban_rate=0.03, blocked_by={"captcha": 9}), usual, DEFAULTS)
    assert [(a.check, a.severity, a.value, a.baseline) for a in rising] == [("ban_rate", "warning", 0.03, 0.01)]
    assert "(9 x captcha), up from 1% usually." in rising[0].message
    assert check_run(run_doc(6, ban_rate=0.029), usual, DEFAULTS) == []


def test_disabled_monitoring_and_per_site_thresholds() -> None:
    strict = MonitoringOptions(listings_drop=0.05, history_runs=3).apply_to(DEFAULTS)
    assert [a.check for a in check_run(run_doc(6, listings=185), HISTORY, strict)] == ["listings_drop"]
    assert check_run(run_doc(6, listings=185), HISTORY, DEFAULTS) == []


# ---------------------------------------------------------------------------
# Thresholds: defaults, the TRAWLER_MONITORING setting, the profile's monitoring section
# ---------------------------------------------------------------------------


@dataclass
class _Profile:
    monitoring: MonitoringOptions


def test_thresholds_resolve_defaults_then_setting_then_site() -> None:
    assert resolve(Settings()) == DEFAULTS
    settings = Settings({"TRAWLER_MONITORING": {"max_ban_rate": 0.1, "block_markers": ["banned you"]}})
    site = _Profile(MonitoringOptions(max_ban_rate=0.2, history_runs=3, block_markers=["captcha-wall"]))
    resolved = resolve(settings, site)
    assert (resolved.max_ban_rate, resolved.history_runs, resolved.listings_drop) == (0.2, 3, 0.3)
    assert resolved.block_markers == (*DEFAULT_BLOCK_MARKERS, "banned you", "captcha-wall")
    # From the command line the setting is JSON: --set TRAWLER_MONITORING='{"enabled": false}'
    assert resolve(Settings({"TRAWLER_MONITORING": '{"enabled": false}'})).enabled is False


def test_a_wrong_setting_names_the_field() -> None:
    with pytest.raises(MonitoringSettingError, match="TRAWLER_MONITORING: field 'max_ban_rate' Input should be less"):
        RunMonitor(Settings({"TRAWLER_MONITORING": {"max_ban_rate": 5}}))
    with pytest.raises(MonitoringSettingError, match="field 'listings_dropp' Extra inputs are not permitted"):
        resolve(Settings({"TRAWLER_MONITORING": {"listings_dropp": 0.5}}))


def _profile_file(tmp_path: Path, monitoring: str) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(
        f"name: shop\nplatform_type: marketplace\nstart_urls: ['https://shop.example/']\nmonitoring:\n{monitoring}",
        encoding="utf-8",
    )
    return path


def test_profile_monitoring_section_is_validated_with_file_and_field(tmp_path: Path) -> None:
    good = load_profile(_profile_file(tmp_path, "  listings_drop: 0.5\n  block_statuses: [403, 451]\n"))
    assert not isinstance(good, ProfileError)
    assert good.monitoring == MonitoringOptions(listings_drop=0.5, block_statuses=[403, 451])
    path = _profile_file(tmp_path, "  max_ban_rate: 1.5\n")
    error = load_profile(path)
    assert isinstance(error, ProfileError)
    assert str(error) == f"{path}: field 'monitoring.max_ban_rate' Input should be less than or equal to 1"
    error = load_profile(_profile_file(tmp_path, "  block_statuses: [200, 9999]\n"))
    assert (error.field, error.message) == ("monitoring.block_statuses.1", "Input should be less than or equal to 599")
    error = load_profile(_profile_file(tmp_path, "  coverage: 0.5\n"))
    assert (error.field, error.message) == ("monitoring.coverage", "Extra inputs are not permitted")


# ---------------------------------------------------------------------------
# Field coverage and blocked pages during the crawl
# ---------------------------------------------------------------------------


def _listing(kind: str = "ad", **fields: Any) -> Listing:
    return Listing.model_validate(
        {"site": "shop", "platform_type": "marketplace", "kind": kind, "url": "https://shop.example/a", **fields}
    )


def test_field_coverage_counts_per_kind_into_stats_and_fractions() -> None:
    coverage = FieldCoverage()
    coverage.add(_listing(title="Room", price={"amount": 0, "raw": "Free"}, posted_at=T0, author={"id": "u1"}))
    coverage.add(_listing(title="Job", body="Call 0170 123", contacts={"raw": ["0170 123"]}, rating={"value": 0}))
    coverage.add(_listing(title="  ", body="text", location={"country": "DE"}))  # a blank title is no title
    coverage.add(_listing("review", body="ok", rating={"value": 4.5}, parent_id="shop:business:1"))
    crawler = get_crawler()
    coverage.sync(crawler.stats)
    stats = crawler.stats.get_stats()
    assert stats["trawler/coverage/ad/_total"] == 3
    assert stats["trawler/coverage/ad/title"] == 2
    by_field, by_kind = coverage_from_stats(stats)
    assert by_kind == {"ad": 3, "review": 1}
    assert by_field["ad"] == {
        "author": 0.3333, "body": 0.6667, "category": 0.0, "contacts": 0.3333, "images": 0.0, "language": 0.0,
        "location": 0.3333, "native_id": 0.0, "parent_id": 0.0, "posted_at": 0.3333, "price": 0.3333,
        "rating": 0.3333, "title": 0.6667,
    }  # fmt: skip
    assert {f for f, v in by_field["review"].items() if v} == {"body", "rating", "parent_id"}


def _html(body: str, status: int = 200, content_type: bytes = b"text/html; charset=utf-8") -> Response:
    return HtmlResponse(
        "https://shop.example/x",
        status=status,
        body=body.encode(),
        headers={"Content-Type": content_type},
        request=Request("https://shop.example/x"),
    )


def test_blocked_pages_by_status_and_marker() -> None:
    crawler = get_crawler(settings_dict={"TRAWLER_MONITORING": {"block_markers": ["You have been blocked"]}})
    middleware = BlockedPagesMiddleware.from_crawler(crawler)
    responses = [
        _html("<p>an ad</p>"),
        _html("", status=403),
        _html("", status=429),
        _html("", status=429),
        _html("", status=404),  # missing, not blocked
        _html("<title>Just a moment...</title><script src='/cdn-cgi/challenge-platform/h/b'></script>"),
        _html("<h1>YOU HAVE BEEN BLOCKED</h1>"),
        _html("<form><div class='g-recaptcha'></div></form>"),  # a login form's captcha is no ban
        Response("https://shop.example/cf-chl-.png", body=b"cf-chl-", headers={"Content-Type": "image/png"}),
    ]
    for response in responses:
        assert middleware.process_response(response.request, response) is response
    crawler.stats.set_value("downloader/response_count", len(responses))
    assert blocked_from_stats(crawler.stats.get_stats()) == {
        "blocked_pages": 5,
        "blocked_by": {"403": 1, "429": 2, "captcha": 2},
        "responses": 9,
        "ban_rate": 0.5556,
    }


def test_a_sites_profile_sets_its_own_block_statuses_and_markers() -> None:
    crawler = get_crawler()
    middleware = BlockedPagesMiddleware.from_crawler(crawler)
    spider = _Spider(_Profile(MonitoringOptions(block_statuses=[451], block_markers=["Zugriff verweigert"])))
    middleware.spider_opened(spider)
    for response in (_html("", status=451), _html("", status=403), _html("<h1>Zugriff verweigert</h1>")):
        middleware.process_response(response.request, response)
    assert crawler.stats.get_value("trawler/blocked_pages") == 2
    assert {k: v for k, v in crawler.stats.get_stats().items() if k.startswith("trawler/blocked/")} == {
        "trawler/blocked/451": 1,
        "trawler/blocked/captcha": 1,
    }


@dataclass
class _Spider:
    profile: _Profile


# ---------------------------------------------------------------------------
# Alert channels, against real local servers
# ---------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


NOTICE = Notice("[trawler] shop: 1 alert (warning)", "posted_at fell\n", {"site": "shop", "alerts": [{"n": 1}]})


def test_webhook_posts_signed_json(webhook: tuple[str, Received], monkeypatch: pytest.MonkeyPatch) -> None:
    url, received = webhook
    monkeypatch.setenv("TRAWLER_ALERT_WEBHOOK_SECRET", "s3cret")
    channels, broken = channels_from_settings(Settings({"TRAWLER_ALERT_WEBHOOK_URL": f"{url}/hooks/T0K3N"}))
    assert broken == []
    [result] = deliver(channels, NOTICE)
    assert (result.channel, result.target, result.ok, result.attempts, result.error) == ("webhook", url, True, 1, None)
    [(path, headers, body)] = received.requests
    assert path == "/hooks/T0K3N"
    assert json.loads(body) == NOTICE.payload
    assert headers["Content-Type"] == "application/json"
    assert headers[SIGNATURE_HEADER] == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()


def test_webhook_retries_server_errors_a_bounded_number_of_times(webhook: tuple[str, Received]) -> None:
    url, received = webhook
    received.status = 503
    [result] = deliver([WebhookChannel(url, timeout=2, attempts=3)], NOTICE, backoff=0.01)
    assert (result.ok, result.attempts, result.error, len(received.requests)) == (False, 3, "HTTP 503", 3)
    received.status = 404  # a wrong URL: trying again cannot help
    [result] = deliver([WebhookChannel(url, timeout=2, attempts=3)], NOTICE, backoff=0.01)
    assert (result.ok, result.attempts, result.error, len(received.requests)) == (False, 1, "HTTP 404", 4)


def test_webhook_unreachable_is_reported_not_raised() -> None:
    [result] = deliver([WebhookChannel(f"http://127.0.0.1:{_free_port()}/", timeout=2, attempts=2)], NOTICE, 0.01)
    assert (result.ok, result.attempts) == (False, 2)
    assert result.error == "URLError: [Errno 111] Connection refused"


def test_email_reaches_the_smtp_server(smtp: tuple[int, Mailbox]) -> None:
    port, mailbox = smtp
    settings = Settings(
        {
            "TRAWLER_ALERT_EMAIL_TO": "osint@example.org, lead@example.org",
            "TRAWLER_ALERT_EMAIL_FROM": "trawler@example.org",
            "TRAWLER_SMTP_HOST": "127.0.0.1",
            "TRAWLER_SMTP_PORT": port,
            "TRAWLER_SMTP_SECURITY": "none",
        }
    )
    channels, broken = channels_from_settings(settings)
    assert broken == []
    [result] = deliver(channels, NOTICE)
    assert (result.channel, result.ok, result.target) == (
        "email", True, f"osint@example.org, lead@example.org via 127.0.0.1:{port}"
    )  # fmt: skip
    [(sender, recipients, message)] = mailbox.messages
    assert (sender, recipients) == ("trawler@example.org", ["osint@example.org", "lead@example.org"])
    assert (message["Subject"], message["To"]) == (NOTICE.subject, "osint@example.org, lead@example.org")
    assert message.get_payload(decode=True).decode().replace("\r\n", "\n") == NOTICE.text  # SMTP sends CRLF


def test_email_with_starttls_against_a_server_without_it_fails_cleanly(smtp: tuple[int, Mailbox]) -> None:
    port, mailbox = smtp
    [result] = deliver([EmailChannel("127.0.0.1", port, "t@example.org", ["a@example.org"], attempts=1)], NOTICE)
    assert (result.ok, result.attempts, result.error) == (
        False, 1, "SMTPNotSupportedError: STARTTLS extension not supported by server."
    )  # fmt: skip
    assert mailbox.messages == []


def test_misconfigured_channels_are_recorded_as_failed_deliveries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAWLER_SMTP_PASSWORD", "hunter2")
    settings = Settings(
        {
            "TRAWLER_ALERT_WEBHOOK_URL": "ftp://files.example/x",
            "TRAWLER_ALERT_EMAIL_TO": "a@example.org",
            "TRAWLER_SMTP_HOST": "mail.example.org",
            "TRAWLER_SMTP_PORT": 25,
            "TRAWLER_SMTP_SECURITY": "none",
            "TRAWLER_SMTP_USER": "trawler",
        }
    )
    channels, broken = channels_from_settings(settings)
    assert channels == []
    assert [(d.channel, d.target, d.ok, d.error) for d in broken] == [
        ("webhook", "(invalid URL)", False, "the alert webhook must be an http(s) URL"),
        (
            "email",
            "a@example.org via mail.example.org:25",
            False,
            "refusing to send the SMTP password in clear: set TRAWLER_SMTP_SECURITY=starttls or ssl",
        ),
    ]
    assert "hunter2" not in repr(broken)


# ---------------------------------------------------------------------------
# The store and the review, against the real database
# ---------------------------------------------------------------------------


def test_recent_runs_are_the_sites_finished_runs_before_this_one(db: pymongo.database.Database) -> None:
    runs = [run_doc(n) for n in range(1, 9)] + [run_doc(9, site="other")]
    runs[6]["status"] = "failed"
    db[RUNS].insert_many(runs)
    current = run_doc(8)
    assert [r["_id"] for r in recent_runs(db, current, 3, 60)] == ["shop-run6", "shop-run5", "shop-run4"]
    assert [r["_id"] for r in recent_runs(db, current, 10, 3)] == ["shop-run6", "shop-run5"]  # 3 days back


def test_review_records_alerts_in_the_run_and_the_alerts_log(db: pymongo.database.Database) -> None:
    db[RUNS].insert_many([run_doc(n) for n in (1, 2, 3)] + [run_doc(4, listings=0, kinds={})])
    run = db[RUNS].find_one({"_id": "shop-run4"})
    stats = {"downloader/response_count": 250, "trawler/blocked_pages": 0}
    reviewed = RunMonitor(Settings()).review(db, run, stats, None)
    stored = db[RUNS].find_one({"_id": "shop-run4"})
    assert [a["check"] for a in stored["alerts"]] == ["zero_items"] == [a["check"] for a in reviewed["alerts"]]
    assert (stored["responses"], stored["ban_rate"], stored["listings_seen"], stored["coverage"]) == (250, 0.0, 0, {})
    [logged] = latest_alerts(db, "shop", T0 - timedelta(days=1))
    assert (logged["_id"], logged["run_id"], logged["check"], logged["baseline"]) == (
        "shop-run4#000", "shop-run4", "zero_items", 200.0
    )  # fmt: skip
    assert latest_alerts(db, "other", T0 - timedelta(days=1)) == []
    assert alerts_summary(stored) == "1 (critical)"
    assert alerts_summary(db[RUNS].find_one({"_id": "shop-run3"})) == ""


def test_notice_reads_well() -> None:
    run = {**run_doc(6, posted=0.1), "finished_at": T0 + timedelta(days=6, minutes=3)}
    run["alerts"] = [a.as_dict() for a in check_run(run, HISTORY, DEFAULTS)]
    notice = alert_notice(run)
    assert notice.subject == "[trawler] shop: 1 alert (warning)"
    assert notice.text.splitlines()[:3] == [
        "The crawl run shop-run6 of shop (started 2026-11-26 06:00 UTC, status finished) raised:",
        "",
        "[warning] coverage_drop (ad.posted_at)",
    ]
    assert notice.payload["started_at"] == "2026-11-26T06:00:00+00:00"
    assert notice.payload["alerts"][0]["subject"] == "ad.posted_at"


# ---------------------------------------------------------------------------
# End to end: three real crawls of the demo marketplace
# ---------------------------------------------------------------------------

PROFILE = """# the demo marketplace, with a stricter listings threshold of its own
name: mon-market
platform_type: marketplace
start_urls: ["${TRAWLER_DEMO_MARKET_URL}/"]
country: DE
timezone: Europe/Berlin
engine: classifieds
monitoring:
  listings_drop: 0.05
"""


@dataclass
class Crawls:
    db: pymongo.database.Database
    env: dict[str, str]
    runs: list[dict[str, Any]]
    hooks: Received
    mailbox: Mailbox
    blocked_403: list[str]
    blocked_429: list[str]
    webhook_url: str


@pytest.fixture(scope="module")
def crawls(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    """Crawl twice as usual, then once more while the site shows its dates differently (a layout change),
    answers 403 to six ad pages and 429 to two others."""
    tmp = tmp_path_factory.mktemp("monitoring")
    (tmp / "sites").mkdir()
    (tmp / "sites" / "mon-market.yaml").write_text(PROFILE, encoding="utf-8")
    name = "monitoring_e2e"
    client = mongo.client()
    client.drop_database(name)
    hooks = Received()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hooks.requests.append((self.path, dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    webhook_url = f"http://127.0.0.1:{receiver.server_address[1]}"
    env = {
        "MONGO_URI": mongo.uri,
        "MONGO_DATABASE": name,
        "TRAWLER_VAR_DIR": str(tmp / "var"),
        "TRAWLER_PROFILE_DIRS": str(tmp / "sites"),
        "TRAWLER_ALERT_WEBHOOK_URL": f"{webhook_url}/alerts/T0K3N",
        "TRAWLER_ALERT_EMAIL_TO": "osint@example.org",
        "TRAWLER_ALERT_EMAIL_FROM": "trawler@example.org",
        "TRAWLER_SMTP_HOST": "127.0.0.1",
        "TRAWLER_SMTP_PORT": str(smtp.port),
        "TRAWLER_SMTP_SECURITY": "none",
        **EXTRACTION_ONLY,
    }
    now = datetime.now(UTC).replace(microsecond=0)
    ads = sorted(ad.id for ad in market.build(BuildOptions(now=now)).ads)
    blocked_403, blocked_429 = ads[:6], ads[6:8]
    faults = {
        "status": {f"^/ad/({'|'.join(blocked_403)})$": 403, f"^/ad/({'|'.join(blocked_429)})$": 429},
        "replace": {'<time class="posted"': '<span class="shown"'},
    }
    try:
        for fault in ("", "", json.dumps(faults)):
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("TRAWLER_DEMO_FAULTS", fault)  # read by the demo server process started here
                demo: RunningDemo = start_demo(now=now)
            try:
                # RETRY_TIMES pinned: each 429 page is then answered three times.
                result = run_cli(
                    ["crawl", "mon-market", "--no-progress", "--set", "RETRY_TIMES=2"], {**env, **demo.env}
                )
            finally:
                demo.server.stop()
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
        runs = list(client[name][RUNS].find({"site": "mon-market"}).sort("started_at", 1))
        yield Crawls(client[name], env, runs, hooks, mailbox, blocked_403, blocked_429, webhook_url)
    finally:
        smtp.stop()
        receiver.shutdown()
        receiver.server_close()
        client.drop_database(name)


def test_normal_runs_record_their_health_and_raise_nothing(crawls: Crawls) -> None:
    assert len(crawls.runs) == 3
    for run in crawls.runs[:2]:
        assert run["status"] == "finished"
        assert run["alerts"] == []
        assert "alert_delivery" not in run  # nothing to send
        assert (run["listings_seen"], run["listings_by_kind"]) == (120, {"ad": 120})
        assert (run["blocked_pages"], run["blocked_by"], run["ban_rate"], run["error_rate"]) == (0, {}, 0.0, 0.0)
        assert run["responses"] == run["counts"]["requests"]
        coverage = run["coverage"]["ad"]
        assert {f for f, v in coverage.items() if v == 1.0} == {
            "title", "body", "posted_at", "author", "price", "location", "category", "native_id"
        }  # fmt: skip
        # Enrichers are blocked here: no language; contacts and photos only on the ads that show them.
        assert (coverage["language"], coverage["parent_id"], coverage["rating"]) == (0.0, 0.0, 0.0)
        assert (coverage["contacts"], coverage["images"]) == (0.775, 0.8333)


def _expected_alerts(crawls: Crawls) -> list[dict[str, Any]]:
    first, _, third = crawls.runs
    blocked = len(crawls.blocked_403) + 3 * len(crawls.blocked_429)  # 6 + 2 pages answered 3 times
    responses = first["responses"] + 2 * len(crawls.blocked_429)  # the two retries of each 429 page
    ban = round(blocked / responses, 4)
    assert (third["blocked_pages"], third["responses"], third["ban_rate"]) == (blocked, responses, ban)
    return [
        {
            "check": "listings_drop",
            "severity": "warning",
            "message": "mon-market gave 112 listings, 6.7% fewer than the median of its last 2 runs (120). Check "
            "whether the site removed content or the crawl missed pages (blocked pages, a changed menu or "
            "pagination): compare the pages counted in `trawler runs`.",
            "value": 112,
            "baseline": 120.0,
            "subject": None,
        },
        {
            "check": "coverage_drop",
            "severity": "warning",
            "message": "posted_at was found on 0% of mon-market's ad listings, against 100% in its last 2 runs: "
            "the site's layout has probably changed. Save a current page as a fixture (`trawler fixtures record`) "
            "and fix the posted_at extraction.",
            "value": 0.0,
            "baseline": 1.0,
            "subject": "ad.posted_at",
        },
        {
            "check": "ban_rate",
            "severity": "critical",
            "message": f"{ban * 100:.1f}% of the responses from mon-market were blocked pages (6 x 403, 6 x 429), "
            "above the limit of 5%. The site is refusing the crawler: slow down (politeness.download_delay, "
            "politeness.concurrency_per_domain), check robots.txt and the proxy, and look at a blocked page before "
            "crawling again.",
            "value": ban,
            "baseline": 0.0,
            "subject": None,
        },
    ]


def test_broken_layout_and_blocked_pages_raise_exactly_these_alerts(crawls: Crawls) -> None:
    third = crawls.runs[2]
    assert third["status"] == "finished"
    assert third["blocked_by"] == {"403": 6, "429": 6}
    assert (third["listings_seen"], third["coverage"]["ad"]["posted_at"], third["error_rate"]) == (112, 0.0, 0.0)
    assert third["alerts"] == _expected_alerts(crawls)
    # Blocked pages are no sign of removal: none of the refused ads was marked removed.
    assert third["counts"]["listings_removed"] == 0
    assert crawls.db.listings.count_documents({"crawl.removed_at": {"$ne": None}}) == 0


def test_alerts_were_delivered_to_the_webhook_and_by_email(crawls: Crawls) -> None:
    third = crawls.runs[2]
    [(path, headers, body)] = crawls.hooks.requests  # only the third run had anything to say
    assert path == "/alerts/T0K3N"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "event": "trawler.run_alerts",
        "site": "mon-market",
        "run_id": third["_id"],
        "status": "finished",
        "started_at": third["started_at"].isoformat(),
        "finished_at": third["finished_at"].isoformat(),
        "alerts": _expected_alerts(crawls),
    }
    [(sender, recipients, message)] = crawls.mailbox.messages
    assert (sender, recipients) == ("trawler@example.org", ["osint@example.org"])
    assert message["Subject"] == "[trawler] mon-market: 3 alerts (critical)"
    text = message.get_payload(decode=True).decode().replace("\r\n", "\n")
    for alert in _expected_alerts(crawls):
        assert alert["message"] in text
    assert text.endswith("All recent alerts: trawler alerts --site mon-market\n")
    deliveries = third["alert_delivery"]
    assert [(d["channel"], d["target"], d["ok"], d["attempts"], d["error"]) for d in deliveries] == [
        ("webhook", crawls.webhook_url, True, 1, None),  # the token in the path is never recorded
        ("email", f"osint@example.org via 127.0.0.1:{crawls.env['TRAWLER_SMTP_PORT']}", True, 1, None),
    ]


def test_alerts_command_lists_them(crawls: Crawls) -> None:
    result = run_cli(["alerts", "--site", "mon-market", "--json"], crawls.env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    third = crawls.runs[2]
    assert [line["_id"] for line in lines] == [f"{third['_id']}#{n:03d}" for n in range(3)]
    assert [
        {k: line[k] for k in ("check", "severity", "message", "value", "baseline", "subject")} for line in lines
    ] == (_expected_alerts(crawls))
    table = run_cli(["alerts"], crawls.env)
    assert table.returncode == 0, table.stderr
    assert "3 alerts" in table.stdout and "ad.posted_at" in table.stdout and "critical" in table.stdout
