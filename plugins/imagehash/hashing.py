"""Perceptual hashes of photos, and which photograph a hash belongs to.

``phash`` is the 64-bit DCT hash of the ``imagehash`` library: the image is reduced to 32x32 grey levels and each bit
says whether one of the 64 lowest-frequency DCT coefficients is above their median. Saving a photo again at another
size or JPEG quality, brightening it or cropping a few pixels changes only a few bits; a different photograph differs
in about half of them (32). The distance between two hashes is the number of bits that differ (Hamming distance).

``PhotoIndex`` turns hashes into photographs: the first hash seen becomes a photograph's key, and a later hash within
``distance`` bits of a known key is the same photograph (leader clustering). Comparing with keys only, never with
every member, keeps a chain of small differences from merging distinct photos. The key is what the ``entities``
collection stores (``image:<key>``), so listings showing copies of one photo share one entity.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterable

import imagehash
import numpy as np
from PIL import Image, UnidentifiedImageError

HASH_BITS = 64
# JPEG photos are decoded at a reduced scale (libjpeg's DCT scaling, 1/2 to 1/8): the hash only needs 32x32 pixels,
# and a 12-megapixel photo decodes about 30 times faster. Every image goes through the same steps, so hashes compare.
DRAFT_SIZE = (128, 128)
MAX_PIXELS = 50_000_000  # refuse larger images before decoding them (decompression bombs)


class NotAnImage(ValueError):
    """The bytes are not an image Pillow can read (an HTML error page, a truncated file...)."""


class ImageTooLarge(ValueError):
    """The image has more pixels than :data:`MAX_PIXELS`."""


def phash(data: bytes, max_pixels: int = MAX_PIXELS) -> str:
    """The 64-bit perceptual hash of an encoded image, as 16 hex digits."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > max_pixels:
                    raise ImageTooLarge(f"{image.width}x{image.height} pixels")
                image.draft("L", DRAFT_SIZE)
                return str(imagehash.phash(image))
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise NotAnImage(str(exc)) from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt data, which Pillow reports variously
        if isinstance(exc, ImageTooLarge):
            raise
        raise NotAnImage(f"{type(exc).__name__}: {exc}") from exc


def distance(a: str, b: str) -> int:
    """The number of bits that differ between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


class PhotoIndex:
    """The photographs seen so far, as the keys of their first hash; thread-safe."""

    def __init__(self, max_distance: int) -> None:
        self.max_distance = max_distance
        self._keys = np.zeros(64, dtype=np.uint64)
        self._count = 0
        self._known: set[int] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._count

    def add_known(self, keys: Iterable[str]) -> None:
        """Keys of photographs already stored (from earlier crawls)."""
        with self._lock:
            for key in sorted(keys):
                self._append(int(key, 16))

    def photo_of(self, phash_hex: str) -> tuple[str, bool]:
        """``(key, new?)``: the nearest known photograph within ``max_distance`` bits, or this hash as a new one.

        Ties go to the smallest key, so the answer does not depend on the order the keys were loaded in.
        """
        value = int(phash_hex, 16)
        with self._lock:
            if value in self._known:
                return f"{value:016x}", False
            if self._count:
                distances = np.bitwise_count(self._keys[: self._count] ^ np.uint64(value))
                nearest = int(distances.min())
                if nearest <= self.max_distance:
                    key = int(self._keys[: self._count][distances == nearest].min())
                    return f"{key:016x}", False
            self._append(value)
            return f"{value:016x}", True

    def _append(self, value: int) -> None:
        if value in self._known:
            return
        if self._count == len(self._keys):
            self._keys = np.concatenate([self._keys, np.zeros(len(self._keys), dtype=np.uint64)])
        self._keys[self._count] = value
        self._count += 1
        self._known.add(value)
