"""Engine presets: one module per forum software, registered here in detection order.

The order is the detection order (:mod:`plugins.forum.detect`): the demo's
phpBB comes first so the most frequent case costs one XPath check.
"""

from __future__ import annotations

from plugins.forum.engines.base import ForumEngine
from plugins.forum.engines.discourse import Discourse
from plugins.forum.engines.mybb import MyBB
from plugins.forum.engines.phpbb import PhpBB
from plugins.forum.engines.xenforo import XenForo

ENGINES: dict[str, type[ForumEngine]] = {engine.name: engine for engine in (PhpBB, XenForo, Discourse, MyBB)}
DEFAULT_ENGINE = PhpBB.name

__all__ = ["DEFAULT_ENGINE", "ENGINES", "Discourse", "ForumEngine", "MyBB", "PhpBB", "XenForo"]
