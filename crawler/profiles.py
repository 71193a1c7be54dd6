"""Site profiles: one concrete platform to crawl, as a YAML or TOML data file.

A profile is validated when loaded; a broken one becomes a :class:`ProfileError`
that names the file and the field, and never stops the other profiles from
loading. ``${VAR}`` and ``${VAR:-default}`` in string values are replaced from
the environment, so secrets and local addresses stay out of the files.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from crawler.incremental.options import IncrementalOptions
from crawler.monitoring.config import MonitoringOptions
from crawler.proxy import check_proxy, handler_settings, is_socks
from crawler.scheduling.schedule import Schedule, check_timezone

PROFILE_SUFFIXES = (".yaml", ".yml", ".toml")
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Politeness(BaseModel):
    model_config = ConfigDict(extra="forbid")

    obey_robots: bool = True
    autothrottle: bool = True
    download_delay: float = Field(0.0, ge=0)
    concurrency_per_domain: int = Field(8, ge=1, le=64)
    concurrency: int | None = Field(None, ge=1, le=256, description="requests in flight for the whole site")
    user_agent: str | None = None


class ScrollOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: str | None = Field(None, description="CSS selector of the items that infinite scroll adds")
    max_times: int = Field(0, ge=0, le=200, description="scroll at most this often (0 = never)")
    pause_ms: int = Field(500, ge=0, le=30000)


class BrowserOptions(BaseModel):
    """How ``render: browser`` pages are rendered (see :mod:`crawler.browser`)."""

    model_config = ConfigDict(extra="forbid")

    wait_for: str | None = Field(None, description="CSS selector that is in the DOM once the content is there")
    wait_until: Literal["commit", "domcontentloaded", "load", "networkidle"] = "domcontentloaded"
    render_urls: list[str] = Field(default_factory=list, description="regexes: render only matching URLs")
    block_resources: list[str] = Field(default_factory=lambda: ["image", "font", "media"])
    scroll: ScrollOptions = Field(default_factory=ScrollOptions)
    max_pages: int = Field(2, ge=1, le=16, description="pages open at once")
    timeout_ms: int = Field(30000, ge=1000)


class LoginOptions(BaseModel):
    """A form login (see :mod:`crawler.login`). Credentials come from environment variables, never the file."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="the login page, absolute or relative to the first start URL")
    username_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    form: str | None = Field(None, description="CSS selector of the login form (default: the first form)")
    username_field: str = "username"
    password_field: str = "password"
    extra_fields: dict[str, str] = Field(default_factory=dict)
    success: str | None = Field(None, description="CSS selector present once logged in (e.g. a logout link)")
    logged_out: str | None = Field(
        None, description="CSS selector of a page served to a logged-out visitor (default: the login form)"
    )
    max_relogins: int = Field(3, ge=0, le=100, description="re-logins in a row before the crawl gives up")


class SiteProfile(BaseModel):
    """A validated site profile. ``name`` is its Scrapy spider name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    platform_type: str = Field(min_length=1)
    start_urls: list[str] = Field(min_length=1)
    allowed_domains: list[str] = Field(default_factory=list)
    description: str = ""
    engine: str | None = None
    selectors: dict[str, str] = Field(default_factory=dict)
    render: Literal["http", "browser", "auto"] = "http"
    browser: BrowserOptions = Field(default_factory=BrowserOptions)
    login: LoginOptions | None = None
    options: dict[str, Any] = Field(
        default_factory=dict, description="plugin sections, validated by the models plugins register"
    )
    schedule: Schedule | None = Field(
        None, description="when the scheduler crawls it: cron '*/30 * * * *' (in `timezone`) or 'every 6h'"
    )
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 hint for phone numbers")
    timezone: str = "UTC"
    proxy: str | None = Field(
        None, description="http(s)://, socks5:// or socks5h:// proxy for every request of the site (crawler/proxy.py)"
    )
    politeness: Politeness = Field(default_factory=Politeness)
    incremental: IncrementalOptions = Field(default_factory=IncrementalOptions)  # see docs/incremental.md
    monitoring: MonitoringOptions = Field(
        default_factory=MonitoringOptions, description="thresholds of the checks after each run (docs/monitoring.md)"
    )
    settings: dict[str, Any] = Field(default_factory=dict, description="extra Scrapy settings for this site")
    source: str | None = Field(None, description="the file it was loaded from")

    @field_validator("start_urls")
    @classmethod
    def _urls_are_http(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{url!r} is not an http(s) URL")
        return urls

    @field_validator("timezone")
    @classmethod
    def _zone_of_cron_schedule(cls, zone: str, info: ValidationInfo) -> str:
        schedule = info.data.get("schedule")
        if schedule is not None and schedule.cron is not None and schedule.timezone is None:
            check_timezone(zone)  # the cron schedule is read in it
        return zone

    @field_validator("proxy")
    @classmethod
    def _proxy_is_usable(cls, url: str | None) -> str | None:
        return check_proxy(url) if url else None

    @model_validator(mode="after")
    def _socks_login_not_in_a_browser(self) -> SiteProfile:
        if self.render != "http" and is_socks(self.proxy) and urlsplit(self.proxy or "").username:
            raise ValueError(
                "proxy: Chromium cannot log in to a SOCKS proxy (render: browser/auto); use one without a user "
                "name (Tor's SOCKS port needs none) or an HTTP proxy"
            )
        return self

    @model_validator(mode="after")
    def _derive_domains(self) -> SiteProfile:
        if not self.allowed_domains:
            hosts = sorted({urlsplit(u).hostname or "" for u in self.start_urls})
            object.__setattr__(self, "allowed_domains", hosts)
        return self

    def scrapy_settings(self) -> dict[str, Any]:
        """The per-spider Scrapy settings this profile implies."""
        polite = self.politeness
        out: dict[str, Any] = {
            "ROBOTSTXT_OBEY": polite.obey_robots,
            "AUTOTHROTTLE_ENABLED": polite.autothrottle,
            "DOWNLOAD_DELAY": polite.download_delay,
            "CONCURRENT_REQUESTS_PER_DOMAIN": polite.concurrency_per_domain,
        }
        if polite.concurrency is not None:
            out["CONCURRENT_REQUESTS"] = polite.concurrency
        if polite.user_agent:
            out["USER_AGENT"] = polite.user_agent
        out.update(handler_settings(self.proxy))
        out.update(self.settings)
        return out


@dataclass(frozen=True)
class ProfileError:
    """Why one profile file could not be loaded."""

    source: str
    field: str
    message: str
    name: str | None = None

    def __str__(self) -> str:
        where = f" field '{self.field}'" if self.field else ""
        return f"{self.source}:{where} {self.message}"


@dataclass
class ProfileCatalog:
    profiles: dict[str, SiteProfile]
    errors: list[ProfileError]

    def error_for(self, name: str) -> ProfileError | None:
        return next((e for e in self.errors if e.name == name), None)


def expand_env(value: Any) -> Any:
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, list):
        return [expand_env(v) for v in value]
    if isinstance(value, dict):
        return {k: expand_env(v) for k, v in value.items()}
    return value


def _read(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        return tomllib.loads(text)
    return yaml.safe_load(text)


def load_profile(
    path: Path, platform_types: set[str] | None = None, option_models: dict[str, type[BaseModel]] | None = None
) -> SiteProfile | ProfileError:
    """Load one file; return the profile or the error that names the file and field."""
    source = str(path)
    try:
        raw = _read(path)
    except (OSError, yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return ProfileError(source, "", f"cannot be read: {exc}".replace("\n", " "))
    if not isinstance(raw, dict):
        return ProfileError(source, "", "must be a mapping of fields (name, platform_type, start_urls...)")
    name = raw.get("name") if isinstance(raw.get("name"), str) else None
    raw = expand_env(raw)
    options: dict[str, Any] = {}
    for section, model in (option_models or {}).items():
        try:
            options[section] = model.model_validate(raw.pop(section, None) or {})
        except ValidationError as exc:
            return _validation_error(source, exc, name, prefix=section)
    try:
        profile = SiteProfile.model_validate({**raw, "source": source, "options": options})
    except ValidationError as exc:
        return _validation_error(source, exc, name)
    if platform_types is not None and profile.platform_type not in platform_types:
        known = ", ".join(sorted(platform_types)) or "none loaded"
        return ProfileError(
            source, "platform_type", f"unknown platform type {profile.platform_type!r} (known: {known})", name
        )
    return profile


def _validation_error(source: str, exc: ValidationError, name: str | None, prefix: str = "") -> ProfileError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in (prefix, *first["loc"]) if p != "")
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return ProfileError(source, field, f"{first['msg']}{more}", name)


def profile_files(paths: list[str | Path]) -> list[Path]:
    found: list[Path] = []
    for entry in paths:
        path = Path(entry)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in PROFILE_SUFFIXES))
        elif path.suffix in PROFILE_SUFFIXES:
            found.append(path)
    return found


def load_profiles(
    paths: list[str | Path],
    platform_types: set[str] | None = None,
    option_models: dict[str, type[BaseModel]] | None = None,
) -> ProfileCatalog:
    profiles: dict[str, SiteProfile] = {}
    errors: list[ProfileError] = []
    for path in profile_files(paths):
        result = load_profile(path, platform_types, option_models)
        if isinstance(result, ProfileError):
            errors.append(result)
        elif result.name in profiles:
            errors.append(
                ProfileError(str(path), "name", f"{result.name!r} is already defined in {profiles[result.name].source}")
            )
        else:
            profiles[result.name] = result
    return ProfileCatalog(profiles, errors)
