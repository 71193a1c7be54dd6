"""Alert channels: a webhook (HTTP POST of JSON) and e-mail (SMTP), for anything Trawler wants to tell people.

Reusable: build a :class:`Notice` (subject, plain text, JSON payload) and call
:func:`deliver` with :func:`channels_from_settings`. Delivery never raises:
each channel's outcome comes back as a :class:`Delivery`, and a failure is
logged. Secrets (the SMTP password, the webhook signing key) are read from the
environment only, never from settings or files; the webhook URL may carry a
token, so only its host is ever logged or recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import urlsplit

from crawler import __version__

logger = logging.getLogger("trawler.alerts")

WEBHOOK_SECRET_ENV = "TRAWLER_ALERT_WEBHOOK_SECRET"
SMTP_PASSWORD_ENV = "TRAWLER_SMTP_PASSWORD"
SIGNATURE_HEADER = "X-Trawler-Signature"


@dataclass(frozen=True)
class Notice:
    """One message for every channel: an e-mail subject, a plain-text body, and the webhook's JSON payload."""

    subject: str
    text: str
    payload: dict[str, Any]


@dataclass
class Delivery:
    channel: str
    target: str
    ok: bool
    attempts: int
    error: str | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ChannelError(RuntimeError):
    """A channel could not deliver; ``retry`` says whether trying again may help."""

    def __init__(self, message: str, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class Channel(Protocol):
    name: str
    target: str
    attempts: int

    def send(self, notice: Notice) -> None:
        """Deliver once; raise :class:`ChannelError` on failure."""
        ...


class WebhookChannel:
    """POST the payload as JSON. With a secret, ``X-Trawler-Signature: sha256=<HMAC of the body>``."""

    name = "webhook"

    def __init__(self, url: str, timeout: float = 10.0, attempts: int = 3, secret: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the alert webhook must be an http(s) URL")
        self.url = url
        self.target = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"  # no path: it may hold a token
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.secret = secret

    def send(self, notice: Notice) -> None:
        body = json.dumps(notice.payload, default=str, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": f"Trawler-alerts/{__version__}"}
        if self.secret:
            digest = hmac.new(self.secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers[SIGNATURE_HEADER] = f"sha256={digest}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"HTTP {exc.code}", retry=exc.code == 429 or exc.code >= 500) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ChannelError(f"{type(exc).__name__}: {reason}", retry=True) from exc


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmailChannel:
    """Send a plain-text e-mail through an SMTP server; ``security`` is ``starttls``, ``ssl`` or ``none``."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        security: str = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
        attempts: int = 2,
    ) -> None:
        if security not in ("starttls", "ssl", "none"):
            raise ValueError(f"TRAWLER_SMTP_SECURITY must be starttls, ssl or none, not {security!r}")
        if user and security == "none" and not _loopback(host):
            raise ValueError("refusing to send the SMTP password in clear: set TRAWLER_SMTP_SECURITY=starttls or ssl")
        self.host, self.port, self.sender, self.recipients = host, port, sender, list(recipients)
        self.security, self.user, self.password, self.timeout = security, user, password, timeout
        self.attempts = max(1, attempts)
        self.target = f"{', '.join(self.recipients)} via {host}:{port}"

    def send(self, notice: Notice) -> None:
        message = EmailMessage()
        message["Subject"] = notice.subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message.set_content(notice.text)
        context = ssl.create_default_context()
        try:
            if self.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=context)
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as exc:
            raise ChannelError(f"SMTP {exc.smtp_code}", retry=exc.smtp_code >= 400 and exc.smtp_code < 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}", retry=True) from exc


def channels_from_settings(settings: Any) -> tuple[list[Channel], list[Delivery]]:
    """The channels configured in ``settings`` (and the environment), and a failed :class:`Delivery` for each
    one that is configured wrongly (so a typo is recorded where the alert would have gone)."""
    channels: list[Channel] = []
    broken: list[Delivery] = []
    url = str(settings.get("TRAWLER_ALERT_WEBHOOK_URL") or "").strip()
    if url:
        try:
            channels.append(
                WebhookChannel(
                    url,
                    timeout=settings.getfloat("TRAWLER_ALERT_TIMEOUT", 10.0),
                    attempts=1 + settings.getint("TRAWLER_ALERT_RETRIES", 2),
                    secret=os.environ.get(WEBHOOK_SECRET_ENV) or None,
                )
            )
        except ValueError as exc:
            broken.append(Delivery("webhook", "(invalid URL)", False, 0, str(exc)))
    recipients = [a.strip() for a in settings.getlist("TRAWLER_ALERT_EMAIL_TO") if a.strip()]
    if recipients:
        host = str(settings.get("TRAWLER_SMTP_HOST") or "localhost")
        port = settings.getint("TRAWLER_SMTP_PORT", 25)
        try:
            channels.append(
                EmailChannel(
                    host,
                    port,
                    str(settings.get("TRAWLER_ALERT_EMAIL_FROM") or "trawler@localhost"),
                    recipients,
                    security=str(settings.get("TRAWLER_SMTP_SECURITY") or "starttls"),
                    user=str(settings.get("TRAWLER_SMTP_USER") or "") or None,
                    password=os.environ.get(SMTP_PASSWORD_ENV),
                    timeout=settings.getfloat("TRAWLER_ALERT_TIMEOUT", 10.0),
                    attempts=1 + settings.getint("TRAWLER_ALERT_RETRIES", 2),
                )
            )
        except ValueError as exc:
            broken.append(Delivery("email", f"{', '.join(recipients)} via {host}:{port}", False, 0, str(exc)))
    return channels, broken


def deliver(channels: Sequence[Channel], notice: Notice, backoff: float = 1.0) -> list[Delivery]:
    """Send ``notice`` through every channel, each retried a bounded number of times; never raises."""
    results = []
    for channel in channels:
        result = Delivery(channel.name, channel.target, False, 0)
        for attempt in range(1, channel.attempts + 1):
            result.attempts = attempt
            try:
                channel.send(notice)
            except ChannelError as exc:
                result.error = str(exc)
                if not exc.retry or attempt == channel.attempts:
                    break
                time.sleep(backoff * 2 ** (attempt - 1))
            except Exception as exc:  # a bug in a channel must not cost the others their message
                result.error = f"{type(exc).__name__}: {exc}"
                break
            else:
                result.ok, result.error = True, None
                break
        result.at = datetime.now(UTC)
        if result.ok:
            logger.info("alert sent by %s to %s", result.channel, result.target)
        else:
            logger.error(
                "could not send an alert by %s to %s after %d attempt(s): %s",
                result.channel,
                result.target,
                result.attempts,
                result.error,
            )
        results.append(result)
    return results
