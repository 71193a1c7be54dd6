"""Settings that plugins declare: their defaults (applied by the add-on) and their validation (at crawl start).

A plugin's ``trawler_register_settings`` may return a plain dict of defaults, or
a pydantic model whose fields are setting names. With a model, the crawl's
final settings (after the project, the site profile and the command line had
their say) are validated once the crawler is built, so a wrong value stops the
crawl at once with a message naming the plugin and the setting.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError
from scrapy.exceptions import NotConfigured


class PluginSettingError(ValueError):
    pass


def declared_settings(pm: Any) -> list[tuple[str, dict[str, Any] | type[BaseModel]]]:
    """``(plugin name, dict or model)`` for every plugin that declares settings."""
    found = []
    for impl in pm.hook.trawler_register_settings.get_hookimpls():
        declared = impl.function()
        if declared:
            found.append((impl.plugin_name, declared))
    return found


def defaults(declared: dict[str, Any] | type[BaseModel]) -> dict[str, Any]:
    if isinstance(declared, dict):
        return declared
    return {name: field.get_default(call_default_factory=True) for name, field in declared.model_fields.items()}


def check(pm: Any, settings: Any) -> None:
    """Raise :class:`PluginSettingError` for the first invalid setting a plugin declared a model for."""
    for plugin, declared in declared_settings(pm):
        if isinstance(declared, dict):
            continue
        # A setting nobody set (None: settings built without the add-on's defaults) takes the model's default.
        values = {name: settings.get(name) for name in declared.model_fields if settings.get(name) is not None}
        try:
            declared.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"])
            raise PluginSettingError(
                f"plugin {plugin!r}: setting {name}={values.get(name)!r} is invalid: {first['msg']}"
            ) from exc


class PluginSettingsCheck:
    """Extension: validate, when a crawl starts, the settings of every plugin that declared a model for them."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> PluginSettingsCheck:
        from crawler.plugins import shared_plugin_manager

        check(shared_plugin_manager(crawler.settings), crawler.settings)
        raise NotConfigured("plugin settings are valid")  # nothing to keep running
