"""The demo marketplace's photos: small deterministic JPEGs drawn with Pillow, some of them reposted.

A :class:`Photo` names what an image URL shows. Two URLs with the same ``subject`` show the same photograph: the
first as posted (``copy=0``), the others re-encoded the way a repost does it (saved again at another size and JPEG
quality, a little cropped and brightened). Investigators link such copies with perceptual hashes
(``plugins/imagehash``); the ground truth says which URLs are the same photograph.

Images are drawn when first requested, not when the server starts (a large demo has thousands), and kept in a small
cache: a few shapes on a coloured background, 64-160 pixels wide, about 2-5 kB each.
"""

from __future__ import annotations

import functools
import io
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawler.demo.base import Page

if TYPE_CHECKING:
    from PIL.Image import Image as PilImage

MISSING = "missing"  # the URL answers 404 (the photo was deleted from the site's storage)
NOT_AN_IMAGE = "html"  # the URL answers 200 with an HTML error page, as some image hosts do
ERROR_PAGE = b"<!doctype html><html><body><h1>Image unavailable</h1><p>This photo was removed.</p></body></html>"


@dataclass(frozen=True)
class Photo:
    subject: str  # the same subject is the same photograph
    copy: int = 0  # 0 = as first posted; n > 0 = the n-th re-encoded copy
    broken: str = ""  # "", MISSING or NOT_AN_IMAGE


def _drawn(subject: str, seed: int) -> PilImage:
    from PIL import Image, ImageDraw  # imported here: only the demo server draws

    rng = random.Random(f"photo-{seed}-{subject}")
    width, height = rng.randint(120, 160), rng.randint(90, 120)

    def colour() -> tuple[int, int, int]:
        return (rng.randrange(256), rng.randrange(256), rng.randrange(256))

    image = Image.new("RGB", (width, height), colour())
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(5, 9)):
        x0, y0 = rng.randrange(-width // 4, width), rng.randrange(-height // 4, height)
        x1, y1 = x0 + rng.randint(width // 6, width), y0 + rng.randint(height // 6, height)
        shape = rng.randrange(3)
        if shape == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour())
        elif shape == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour())
        else:
            draw.polygon([(rng.randrange(width), rng.randrange(height)) for _ in range(3)], fill=colour())
    return image


def jpeg(photo: Photo, seed: int) -> bytes:
    """The JPEG bytes of ``photo`` (deterministic for a seed)."""
    from PIL import Image, ImageEnhance

    image = _drawn(photo.subject, seed)
    quality = 88
    if photo.copy:
        # A repost: downloaded, cropped by a few pixels, brightened, resized and saved again at a lower quality.
        rng = random.Random(f"photo-{seed}-{photo.subject}-copy-{photo.copy}")
        width, height = image.size
        left, top, right, bottom = (rng.uniform(0.0, 0.02) for _ in range(4))
        image = image.crop(
            (round(width * left), round(height * top), round(width * (1 - right)), round(height * (1 - bottom)))
        )
        scale = rng.uniform(0.75, 1.25)
        image = image.resize((max(64, round(image.width * scale)), round(image.height * scale)), Image.LANCZOS)
        image = ImageEnhance.Brightness(image).enhance(rng.uniform(1.03, 1.1))
        quality = rng.randint(60, 85)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


@functools.lru_cache(maxsize=512)
def page(photo: Photo, seed: int) -> Page:
    """What the server answers for ``photo``: the JPEG, or the failure the photo plants."""
    if photo.broken == MISSING:
        return Page(b"not found", "text/plain", status=404)
    if photo.broken == NOT_AN_IMAGE:
        return Page(ERROR_PAGE)
    return Page(jpeg(photo, seed), "image/jpeg", headers={"Cache-Control": "max-age=86400"})
