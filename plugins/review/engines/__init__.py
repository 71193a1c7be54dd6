"""Engine presets: one :class:`~plugins.review.page.BusinessPage` subclass per markup family.

:data:`ENGINES` lists them in detection order (the demo's ``yelpish`` first,
so the demo path pays for one XPath check). Each class carries its own
``detect_xpath``: a cheap XPath that is true on the pages it reads. To add a
preset, write ``engines/<name>.py`` and add its class here (see the README).
"""

from __future__ import annotations

from plugins.review.engines.sitereviews import SiteReviewsBusinessPage
from plugins.review.engines.tripadvisor import TripadvisorBusinessPage
from plugins.review.engines.trustpilot import TrustpilotBusinessPage
from plugins.review.engines.yelpish import YelpishBusinessPage
from plugins.review.page import BusinessPage

ENGINES: dict[str, type[BusinessPage]] = {
    engine.engine: engine
    for engine in (YelpishBusinessPage, TrustpilotBusinessPage, TripadvisorBusinessPage, SiteReviewsBusinessPage)
}

__all__ = ["ENGINES"]
