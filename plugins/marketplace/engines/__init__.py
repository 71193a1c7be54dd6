"""The engine presets, in detection order: the first whose ``DETECT`` test holds reads the page.

To add one: write ``engines/<name>.py`` with an :class:`~plugins.marketplace.page.AdPage`
subclass (``name``, ``DETECT``, ``SELECTORS``, the field methods that differ),
add it to :data:`PRESETS` below, and give it fixtures. The order is the
priority: cheap, specific tests first; the demo preset stays first so the
demo's pages are recognised by the first check.
"""

from __future__ import annotations

from plugins.marketplace.engines.classifieds import ClassifiedsAdPage
from plugins.marketplace.engines.craigslist import CraigslistAdPage
from plugins.marketplace.engines.osclass import OsclassAdPage
from plugins.marketplace.engines.woocommerce import WooCommerceAdPage
from plugins.marketplace.page import AdPage

PRESETS: tuple[type[AdPage], ...] = (ClassifiedsAdPage, CraigslistAdPage, OsclassAdPage, WooCommerceAdPage)

ENGINES: dict[str, type[AdPage]] = {preset.name: preset for preset in PRESETS}
"""Preset name (a profile's ``engine``) -> page object class. Other plugins may add theirs at import time."""

__all__ = ["ENGINES", "PRESETS", "ClassifiedsAdPage", "CraigslistAdPage", "OsclassAdPage", "WooCommerceAdPage"]
