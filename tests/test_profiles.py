"""Site profiles: validation errors name the file and the field; env expansion; CLI checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from crawler.profiles import ProfileError, SiteProfile, load_profile, load_profiles
from tests.conftest import run_cli

TYPES = {"forum", "marketplace", "review"}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_profile_gets_defaults_and_derived_domains(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.yaml", "name: ok-site\nplatform_type: forum\nstart_urls: ['https://b.example.org/f/']\n")
    profile = load_profile(path, TYPES)
    assert isinstance(profile, SiteProfile)
    assert profile.allowed_domains == ["b.example.org"]
    assert profile.politeness.obey_robots is True
    assert profile.scrapy_settings() == {
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "DOWNLOAD_DELAY": 0.0,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    }
    assert profile.source == str(path)


def test_politeness_and_proxy_become_the_sites_scrapy_settings(tmp_path: Path) -> None:
    text = (
        "name: tor-forum\nplatform_type: forum\nstart_urls: ['http://abcdefgh.onion/']\n"
        "proxy: socks5h://127.0.0.1:9050\n"
        "politeness: {obey_robots: false, autothrottle: false, download_delay: 2.5, concurrency_per_domain: 2,"
        " concurrency: 4, user_agent: 'Mozilla/5.0 (research)'}\n"
    )
    profile = load_profile(write(tmp_path, "tor.yaml", text), TYPES)
    handler = "scrapy_download_handlers_incubator.HttpxDownloadHandler"
    assert profile.scrapy_settings() == {
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_DELAY": 2.5,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "CONCURRENT_REQUESTS": 4,
        "USER_AGENT": "Mozilla/5.0 (research)",
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
    }


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("name: x\nplatform_type: forum\n", "start_urls", "Field required"),
        ("name: x\nplatform_type: forum\nstart_urls: ['ftp://a/']\n", "start_urls", "is not an http(s) URL"),
        ("name: Bad Name\nplatform_type: forum\nstart_urls: ['http://a/']\n", "name", "should match pattern"),
        ("name: x\nplatform_type: blog\nstart_urls: ['http://a/']\n", "platform_type", "unknown platform type 'blog'"),
        ("name: x\nplatform_type: forum\nstart_urls: ['http://a/']\npoliteness: {delay: 2}\n", "politeness.delay",
         "Extra inputs are not permitted"),
        ("name: x\nplatform_type: forum\nstart_urls: ['http://a/']\nrender: chrome\n", "render",
         "Input should be 'http', 'browser' or 'auto'"),
        ("name: [unclosed\n", "", "cannot be read"),
        ("- just\n- a list\n", "", "must be a mapping"),
    ],
)  # fmt: skip
def test_broken_profiles_name_file_and_field(tmp_path: Path, text: str, field: str, message: str) -> None:
    path = write(tmp_path, "broken.yaml", text)
    error = load_profile(path, TYPES)
    assert isinstance(error, ProfileError)
    assert error.source == str(path)
    assert error.field == field
    assert message in error.message
    assert str(path) in str(error) and (not field or f"field '{field}'" in str(error))


def test_toml_profiles_and_environment_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_FORUM", "http://127.0.0.1:9999")
    write(tmp_path, "a.toml", 'name = "a"\nplatform_type = "forum"\nstart_urls = ["${MY_FORUM}/index"]\n')
    write(tmp_path, "b.yaml", "name: b\nplatform_type: review\nstart_urls: ['${UNSET_VAR:-http://fallback.test}/']\n")
    catalog = load_profiles([tmp_path], TYPES)
    assert catalog.errors == []
    assert catalog.profiles["a"].start_urls == ["http://127.0.0.1:9999/index"]
    assert catalog.profiles["b"].start_urls == ["http://fallback.test/"]


def test_duplicate_names_are_an_error_naming_both_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "name: same\nplatform_type: forum\nstart_urls: ['http://a/']\n")
    write(tmp_path, "b.yaml", "name: same\nplatform_type: forum\nstart_urls: ['http://b/']\n")
    catalog = load_profiles([tmp_path], TYPES)
    assert list(catalog.profiles) == ["same"]
    assert len(catalog.errors) == 1
    assert "already defined in" in catalog.errors[0].message and "a.yaml" in catalog.errors[0].message


def test_cli_reports_a_broken_profile_and_refuses_to_crawl_it(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad-site.yaml", "name: bad-site\nplatform_type: forum\nstart_urls: 42\n")
    env = {"TRAWLER_PROFILE_DIRS": str(tmp_path), "TRAWLER_VAR_DIR": str(tmp_path / "var")}
    check = run_cli(["sites", "check"], env)
    assert check.returncode == 1
    assert f"{bad}: field 'start_urls' Input should be a valid list" in " ".join(check.stderr.split())
    crawl = run_cli(["crawl", "bad-site", "--no-progress"], env)
    assert crawl.returncode == 1
    assert "site profile 'bad-site' is invalid" in " ".join(crawl.stderr.split())
    assert not (tmp_path / "var" / "secantus").exists(), "no database should be started for a refused crawl"


class GuestbookOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_entries: int = Field(100, ge=1)
    skip_spam: bool = True


def test_plugin_profile_sections_are_validated_with_defaults(tmp_path: Path) -> None:
    models = {"guestbook": GuestbookOptions}
    base = "name: g{n}\nplatform_type: forum\nstart_urls: ['http://g.test/']\n"
    write(tmp_path, "a.yaml", base.format(n=1) + "guestbook: {max_entries: 5}\n")
    write(tmp_path, "b.yaml", base.format(n=2))
    write(tmp_path, "c.yaml", base.format(n=3) + "guestbook: {max_entries: 0}\n")
    write(tmp_path, "d.yaml", base.format(n=4) + "guestbok: {max_entries: 5}\n")
    catalog = load_profiles([tmp_path], TYPES, models)
    assert catalog.profiles["g1"].options["guestbook"] == GuestbookOptions(max_entries=5)
    assert catalog.profiles["g2"].options["guestbook"] == GuestbookOptions()
    errors = {Path(e.source).name: e for e in catalog.errors}
    assert (errors["c.yaml"].field, errors["c.yaml"].message) == (
        "guestbook.max_entries",
        "Input should be greater than or equal to 1",
    )
    assert (errors["d.yaml"].field, errors["d.yaml"].message) == ("guestbok", "Extra inputs are not permitted")


def test_plugins_register_profile_sections_through_the_hook() -> None:
    from crawler.plugins import PluginLoadError, get_plugin_manager, hookimpl

    class Declares:
        @hookimpl
        def trawler_register_profile_options(self) -> dict[str, type]:
            return {"guestbook": GuestbookOptions}

    class Clashes:
        @hookimpl
        def trawler_register_profile_options(self) -> dict[str, type]:
            return {"login": GuestbookOptions}

    assert get_plugin_manager(extra_plugins=[Declares()]).profile_option_models() == {"guestbook": GuestbookOptions}
    with pytest.raises(PluginLoadError, match="'login' is a core site-profile field"):
        get_plugin_manager(extra_plugins=[Clashes()]).profile_option_models()
