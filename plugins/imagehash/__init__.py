"""Built-in enrichment plugin, off by default: perceptual hashes of listing photos, to find reposted photos.

The same photo on two listings (a recruiter's picture on several ads, an ad reposted by another account) links
them even when the text, the phone number and the account all changed. With ``TRAWLER_IMAGE_HASH`` on, each
listing's first photos are downloaded through Scrapy (robots.txt, AutoThrottle and the per-site limits apply, as
for pages) by :class:`crawler.images.ImageHashPipeline`, which Trawler's add-on installs while this plugin is loaded;
their 64-bit pHash is recorded in ``listing["image_hashes"]`` and each photograph becomes an ``image`` entity.

It is off by default because it costs one request per photo (often more than the pages themselves) and fetches
content investigators may not want on their disks; only hashes are kept, never the images.

The settings are in :class:`ImageHashSettings` (validated when a crawl starts); set them with ``--set NAME=VALUE``
or in a site profile's ``settings``; ``TRAWLER_IMAGE_HASH`` is also read from the environment.
"""

from __future__ import annotations

import os

from pydantic import BaseModel, Field

from crawler.plugins import hookimpl


def _env_on() -> bool:
    return os.environ.get("TRAWLER_IMAGE_HASH", "").strip().lower() in ("1", "true", "yes", "on")


class ImageHashSettings(BaseModel):
    TRAWLER_IMAGE_HASH: bool = Field(default_factory=_env_on, description="hash listing photos (off by default)")
    TRAWLER_IMAGE_HASH_MAX_IMAGES: int = Field(4, ge=1, le=50, description="photos hashed per listing, the first N")
    TRAWLER_IMAGE_HASH_MAX_BYTES: int = Field(
        5_000_000, ge=10_000, description="larger downloads are abandoned (Scrapy's download_maxsize)"
    )
    TRAWLER_IMAGE_HASH_DISTANCE: int = Field(
        8, ge=0, le=20, description="hashes at most this many bits apart (of 64) are the same photograph"
    )


@hookimpl
def trawler_register_settings() -> type[BaseModel]:
    return ImageHashSettings
