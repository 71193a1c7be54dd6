"""Form logins for members-only areas: log in first, keep the session, log in again when it expires.

The profile's ``login`` names the login page, the form and the environment
variables holding the credentials. :class:`LoginFlow` is mixed into every
:class:`crawler.spiders.ProfileSpider`: with a login configured, the crawl
starts with the login page, submits the form, checks that it worked and only
then requests the start URLs. Scrapy's cookie middleware keeps the session.

:class:`LoginSessionMiddleware` notices a page served to a logged-out visitor
(the session expired), holds that request and the ones arriving meanwhile,
logs in once more and sends them again. A failed login ends the crawl with
the reason ``login_failed`` and the error in the run record: never an empty
crawl that looks fine.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from form2request import form2request
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import HtmlResponse

from crawler.profile_middleware import ProfileMiddleware

logger = logging.getLogger("trawler.login")

LOGIN_META = "trawler_login"
RETRIED_META = "trawler_relogin_retried"


def stays_in_memory(request: scrapy.Request) -> bool:
    """Whether a request must never leave this process (a job queue on disk, the workers' Redis queue): a login
    form submission holds the password, and the session it opens belongs to this process's cookie jar."""
    return bool(request.meta.get(LOGIN_META))


def logged_out_marker(options: Any) -> str:
    return options.logged_out or f'form input[name="{options.password_field}"]'


class LoginFlow:
    """The login steps of a profile spider (``self.profile.login`` set)."""

    profile: Any
    crawler: Any
    relogin_pending: bool = False
    relogins_in_row: int = 0
    logged_in_once: bool = False
    login_waiting: list[scrapy.Request]  # requests held while a new login is under way

    def login_request(self) -> scrapy.Request:
        options = self.profile.login
        return scrapy.Request(
            urljoin(self.profile.start_urls[0], options.url),
            callback=self.login_form,
            errback=self.login_error,
            dont_filter=True,
            priority=1000,
            # Logging in is what the profile asks for explicitly; login pages are usually robots-disallowed.
            meta={"dont_obey_robotstxt": True, LOGIN_META: True},
        )

    def login_form(self, response: Any) -> Iterator[scrapy.Request]:
        options = self.profile.login
        credentials = {}
        for field, variable in ((options.username_field, options.username_env),
                                (options.password_field, options.password_env)):  # fmt: skip
            value = os.environ.get(variable)
            if not value:
                self.login_failed(f"the environment variable {variable} is not set")
            credentials[field] = value
        forms = response.css(options.form or "form")
        if not forms:
            self.login_failed(f"no login form ({options.form or 'form'}) on {response.url}")
        submission = form2request(forms[0], {**options.extra_fields, **credentials})
        yield submission.to_scrapy(
            callback=self.after_login,
            errback=self.login_error,
            dont_filter=True,
            meta={"dont_obey_robotstxt": True, LOGIN_META: True},
        )

    def after_login(self, response: Any) -> Iterator[scrapy.Request]:
        options = self.profile.login
        if options.success:
            accepted = bool(response.css(options.success))
        else:
            accepted = not response.css(logged_out_marker(options))
        if not accepted:
            self.login_failed(
                f"{response.url} did not accept the login of ${options.username_env} (check the credentials "
                "in the environment and the profile's login.success selector)"
            )
        self.crawler.stats.inc_value("trawler/logins")
        logger.info("logged in to %s", self.profile.name)
        self.relogin_pending = False
        held, self.login_waiting = self.login_waiting, []
        for request in held:
            yield request.replace(dont_filter=True, meta={**request.meta, RETRIED_META: True})
        if not self.logged_in_once:
            self.logged_in_once = True
            for url in self.profile.start_urls:
                yield scrapy.Request(url, callback=self.parse)

    def queue_on_hold(self) -> bool:
        """Until the first login succeeded, the job scheduler hands out no queued request (crawler/jobs/): a
        resumed crawl's pages wait for the new session instead of being fetched logged out."""
        return self.profile.login is not None and not self.logged_in_once

    def login_error(self, failure: Any) -> None:
        """The login page or form submission could not be fetched (or answered an HTTP error)."""
        self.login_failed(f"{failure.getErrorMessage()} at {getattr(failure.request, 'url', 'the login page')}")

    def held_requests(self) -> list[scrapy.Request]:
        """Requests taken from the scheduler and held until a login succeeds: not done yet, so a crawl's job
        state (crawler/jobs/) keeps them queued for a resume."""
        return getattr(self, "login_waiting", [])

    def login_failed(self, why: str) -> None:
        message = f"login to {self.profile.name} failed: {why}"
        self.crawler.stats.set_value("trawler/error", message)
        logger.error(message)
        raise CloseSpider("login_failed")


class LoginSessionMiddleware(ProfileMiddleware):
    """Downloader middleware: a page served to a logged-out visitor triggers a new login and a retry."""

    def process_response(self, request: scrapy.Request, response: Any, spider: Any = None) -> Any:
        spider = self.spider_of(spider)
        options = getattr(getattr(spider, "profile", None), "login", None)
        if options is None or request.meta.get(LOGIN_META) or not isinstance(response, HtmlResponse):
            return response
        if not response.css(logged_out_marker(options)):
            if request.meta.get(RETRIED_META):
                spider.relogins_in_row = 0
            return response
        stats = self.crawler.stats
        stats.inc_value("trawler/login_expired")
        if spider.relogin_pending:
            spider.login_waiting.append(request)
            raise IgnoreRequest(f"waiting for a new login: {request.url}")
        if spider.relogins_in_row >= options.max_relogins:
            message = f"login to {spider.profile.name} lost: still logged out after {options.max_relogins} re-logins"
            stats.set_value("trawler/error", message)
            logger.error(message)
            self.crawler.engine.close_spider(spider, "login_lost")
            return response
        spider.relogin_pending = True
        spider.relogins_in_row += 1
        stats.inc_value("trawler/relogins")
        logger.info("session of %s expired at %s; logging in again", spider.profile.name, request.url)
        spider.login_waiting.append(request)
        return spider.login_request()

    def process_request(self, request: scrapy.Request, spider: Any = None) -> None:
        spider = self.spider_of(spider)
        if getattr(spider, "relogin_pending", False) and not request.meta.get(LOGIN_META):
            # Hold requests while the new login is under way; they go out again once it succeeded.
            spider.login_waiting.append(request)
            raise IgnoreRequest(f"waiting for a new login: {request.url}")
