"""The plugin host: builds the pluggy manager, loads plugins, isolates failing hooks.

Every plugin, built-in or third-party, is found through the ``trawler.plugins``
entry-point group, can be blocked by name and is traced the same way.

Switches (environment variables, or the matching ``trawler`` CLI options):

- ``TRAWLER_BLOCK_PLUGINS=a,b``: do not load these plugins.
- ``TRAWLER_NO_PLUGIN_AUTOLOAD=1``: load only the built-in plugins (those
  shipped in the ``trawler`` distribution), no third-party ones.
- ``TRAWLER_TRACE_HOOKS=1``: log every hook call and result at DEBUG level on
  the ``trawler.hooks`` logger.
"""

from __future__ import annotations

import functools
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import pluggy

from crawler import hookspecs
from crawler.platform import PlatformTypeSpec

ENTRY_POINT_GROUP = "trawler.plugins"
BUILTIN_DISTRIBUTION = "trawler"

hookimpl = pluggy.HookimplMarker(hookspecs.PROJECT)
logger = logging.getLogger("trawler.plugins")
trace_logger = logging.getLogger("trawler.hooks")

# Where a failing hook is counted: the running crawl's stats collector. A
# context variable, because one process may run several crawls at once.
hook_error_stats: ContextVar[Any] = ContextVar("hook_error_stats", default=None)


class PluginLoadError(RuntimeError):
    """A plugin could not be loaded or declares something inconsistent."""


@dataclass(frozen=True)
class PluginInfo:
    name: str
    module: str
    distribution: str | None
    version: str | None
    builtin: bool
    hooks: tuple[str, ...]
    platform_types: tuple[str, ...]


class TrawlerPluginManager(pluggy.PluginManager):
    """A pluggy manager whose plain hook implementations cannot break a crawl."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.hook_errors: Counter[tuple[str, str]] = Counter()
        self._dists: dict[str, metadata.Distribution] = {}
        # Plugins whose module says ``OPT_IN = True`` (costly ones) load only when named here.
        self.enabled: set[str] = set()
        self.opted_out: set[str] = set()

    def register(self, plugin: object, name: str | None = None) -> str | None:
        plugin_name = super().register(plugin, name)
        if plugin_name is not None:
            for caller in self.get_hookcallers(plugin) or []:
                for impl in caller.get_hookimpls():
                    if impl.plugin is plugin and not (impl.hookwrapper or impl.wrapper):
                        impl.function = self._isolated(impl.function, plugin_name, caller.name)
        return plugin_name

    def _isolated(self, function: Callable[..., Any], plugin_name: str, hook_name: str) -> Callable[..., Any]:
        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except Exception:
                self.hook_errors[(plugin_name, hook_name)] += 1
                stats = hook_error_stats.get()
                if stats is not None:
                    stats.inc_value(f"trawler/hook_errors/{plugin_name}/{hook_name}")
                    stats.inc_value("trawler/hook_errors")
                logger.exception("plugin %r failed in %s; continuing without its result", plugin_name, hook_name)
                return None

        return call

    def load_entry_points(self, autoload_third_party: bool = True) -> None:
        for dist in metadata.distributions():
            for ep in dist.entry_points:
                if ep.group != ENTRY_POINT_GROUP or self.get_plugin(ep.name) or self.is_blocked(ep.name):
                    continue
                builtin = dist.metadata["Name"] == BUILTIN_DISTRIBUTION
                if not (builtin or autoload_third_party):
                    continue
                try:
                    plugin = ep.load()
                except Exception as exc:
                    raise PluginLoadError(f"plugin {ep.name!r} ({ep.value}) cannot be imported: {exc}") from exc
                if getattr(plugin, "OPT_IN", False) and ep.name not in self.enabled:
                    self.opted_out.add(ep.name)
                    continue
                self.register(plugin, name=ep.name)
                self._dists[ep.name] = dist

    def platform_types(self) -> dict[str, PlatformTypeSpec]:
        found: dict[str, PlatformTypeSpec] = {}
        owner: dict[str, str] = {}
        for impl in self.hook.trawler_register_platform_types.get_hookimpls():
            for spec in impl.function() or []:
                if spec.name in found:
                    raise PluginLoadError(
                        f"platform type {spec.name!r} is provided by both {owner[spec.name]!r} and {impl.plugin_name!r}"
                    )
                found[spec.name] = spec
                owner[spec.name] = impl.plugin_name
        return found

    def profile_option_models(self) -> dict[str, type]:
        """The site-profile sections plugins declare, by section name."""
        from crawler.profiles import SiteProfile

        found: dict[str, type] = {}
        owner: dict[str, str] = {}
        for impl in self.hook.trawler_register_profile_options.get_hookimpls():
            for section, model in (impl.function() or {}).items():
                if section in SiteProfile.model_fields:
                    raise PluginLoadError(f"plugin {impl.plugin_name!r}: {section!r} is a core site-profile field")
                if section in found:
                    raise PluginLoadError(
                        f"profile section {section!r} is declared by both {owner[section]!r} and {impl.plugin_name!r}"
                    )
                found[section], owner[section] = model, impl.plugin_name
        return found

    def plugin_infos(self) -> list[PluginInfo]:
        infos = []
        types_by_plugin: dict[str, list[str]] = {}
        for impl in self.hook.trawler_register_platform_types.get_hookimpls():
            types_by_plugin[impl.plugin_name] = [s.name for s in impl.function() or []]
        for name, plugin in self.list_name_plugin():
            if plugin is None:
                continue
            dist = self._dists.get(name)
            hooks = tuple(sorted(c.name for c in self.get_hookcallers(plugin) or []))
            infos.append(
                PluginInfo(
                    name=name,
                    module=getattr(plugin, "__name__", type(plugin).__name__),
                    distribution=dist.metadata["Name"] if dist else None,
                    version=dist.version if dist else None,
                    builtin=dist is None or dist.metadata["Name"] == BUILTIN_DISTRIBUTION,
                    hooks=hooks,
                    platform_types=tuple(types_by_plugin.get(name, [])),
                )
            )
        return sorted(infos, key=lambda i: (not i.builtin, i.name))

    def has_impls(self, hook_name: str) -> bool:
        return bool(getattr(self.hook, hook_name).get_hookimpls())

    def warm_up_enrichers(self) -> None:
        """Run the enrichment hooks once on a made-up listing, so models and gazetteers load now.

        Enrichers load what they need on first use (a language model, a gazetteer, lexicons: about a second).
        Called when a crawler is created, that cost is paid at start-up, like Scrapy's own imports, instead
        of stalling the first pages of the crawl.
        """
        if not self.has_impls("trawler_enrich_listing"):
            return
        listing: dict[str, Any] = {
            "title": "Work abroad, travel paid",
            "body": "Jobs in Berlin with accommodation provided, call 0151 12345678 or write anna [at] example.com",
            "location": {"raw": "Berlin, Germany"},
            "contacts": {"raw": ["+44 7911 123456"]},
        }
        self.hook.trawler_enrich_listing(listing=listing, profile=None)


def _env_list(name: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]


def get_plugin_manager(
    blocked: Iterable[str] = (),
    enabled: Iterable[str] = (),
    autoload: bool | None = None,
    trace: bool | None = None,
    extra_plugins: Iterable[object] = (),
) -> TrawlerPluginManager:
    """Build a fresh, fully loaded plugin manager (nothing is loaded at import time)."""
    pm = TrawlerPluginManager()
    for name in [*blocked, *_env_list("TRAWLER_BLOCK_PLUGINS")]:
        pm.set_blocked(name)
    pm.enabled = {*enabled, *_env_list("TRAWLER_ENABLE_PLUGINS")}
    if autoload is None:
        autoload = os.environ.get("TRAWLER_NO_PLUGIN_AUTOLOAD", "") in ("", "0")
    pm.load_entry_points(autoload_third_party=autoload)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    if trace if trace is not None else os.environ.get("TRAWLER_TRACE_HOOKS", "") not in ("", "0"):
        pm.trace.root.setwriter(lambda message: trace_logger.debug(message.rstrip()))
        pm.enable_tracing()
    return pm


@functools.cache
def _shared(blocked: tuple[str, ...], enabled: tuple[str, ...]) -> TrawlerPluginManager:
    return get_plugin_manager(blocked=blocked, enabled=enabled)


def shared_plugin_manager(settings: Any = None) -> TrawlerPluginManager:
    """The process-wide manager for crawls, built once on first use."""
    blocked: tuple[str, ...] = ()
    enabled: tuple[str, ...] = ()
    if settings is not None:
        blocked = tuple(settings.getlist("TRAWLER_BLOCKED_PLUGINS"))
        enabled = tuple(settings.getlist("TRAWLER_ENABLED_PLUGINS"))
    return _shared(blocked, enabled)
