"""MinHash signatures and LSH band keys of text units, with datasketch.

Each unit (see :mod:`plugins.neardup.text`) is the set of its word 3-shingles. Its MinHash (datasketch,
``affine32`` scheme, :data:`NUM_PERM` permutations) estimates the Jaccard similarity of two such sets as the share
of equal values. The signature is cut into :data:`BANDS` bands of :data:`ROWS` values; two units that agree on
any whole band become candidates, which the storage layer verifies on all :data:`NUM_PERM` values against
``TRAWLER_NEARDUP_THRESHOLD`` (:mod:`crawler.storage.clusters`). With 10 bands of 3 rows, units with a Jaccard
similarity of 0.6 share a band with probability 0.91, at 0.7 with 0.99, at 0.8 with 1.00, at 0.5 with 0.73, and
unrelated texts (similarity 0.05 or less) with about 0.001 or less, so few wrong candidates are fetched even from a
large collection. Few bands because each is an index look-up at store time, the main cost there; on the demo the
clusters are the same as with an exhaustive comparison of every pair.

The hashing is deterministic across processes (CRC-32 of each token, combined per shingle with numpy, never
Python's per-process ``hash``), so an unchanged text always gets the same signature and the stored listing's
content hash does not change from one crawl to the next. Changing any constant here changes :data:`VERSION`:
signatures of different versions are never compared.
"""

from __future__ import annotations

import base64
import threading
import zlib
from functools import lru_cache

import numpy as np
from datasketch import MinHash

NUM_PERM = 64
BANDS, ROWS = 10, 3  # the first 30 values; fixed here so that stored band keys stay comparable
SHINGLE = 3
SEED = 1
VERSION = f"mh{NUM_PERM}-s{SHINGLE}-b{BANDS}x{ROWS}-v1"

# Odd multipliers that mix the three token hashes of a shingle (uint32 arithmetic wraps, as intended).
_MIX = np.array([0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D], dtype=np.uint32)
_BAND_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9)
_MASK64 = (1 << 64) - 1
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=SEED).permutations  # drawn once (numpy RandomState, seed 1)
_local = threading.local()


@lru_cache(maxsize=1 << 16)
def _token_hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8"))


def _sketch() -> MinHash:
    """This thread's MinHash, reused for every unit (building one costs more than filling it)."""
    sketch = getattr(_local, "sketch", None)
    if sketch is None:
        sketch = _local.sketch = MinHash(
            num_perm=NUM_PERM, seed=SEED, hashfunc=int, permutations=_PERMUTATIONS, scheme="affine32"
        )
    return sketch


def shingle_hashes(unit: list[str]) -> np.ndarray:
    """32-bit hashes of the unit's word 3-shingles (one per position; duplicates do not matter to a MinHash)."""
    words = np.fromiter(map(_token_hash, unit), dtype=np.uint32, count=len(unit))
    if len(words) < SHINGLE:
        return words
    span = len(words) - SHINGLE + 1
    mixed = words[:span] * _MIX[0] + words[1 : span + 1] * _MIX[1] + words[2 : span + 2] * _MIX[2]
    return mixed


def minhash(unit: list[str]) -> np.ndarray:
    """The unit's MinHash values (uint32, :data:`NUM_PERM` of them)."""
    sketch = _sketch()
    sketch.clear()
    sketch.update_batch(shingle_hashes(unit).tolist())
    return sketch.hashvalues.astype("<u4", copy=True)


def band_keys(values: np.ndarray) -> list[str]:
    """One short key per band: the band's number and 40 bits of a 64-bit mix of its values.

    Two bands with equal values always get the same key; different values rarely do, and the storage layer
    verifies every candidate anyway.
    """
    flat = values[: BANDS * ROWS].tolist()
    keys = []
    for band in range(BANDS):
        mixed = 0
        for row, multiplier in zip(flat[band * ROWS : (band + 1) * ROWS], _BAND_MIX, strict=True):
            mixed = ((mixed ^ row) * multiplier) & _MASK64
        keys.append(f"{band:02d}{mixed >> 24:010x}")
    return keys


def encode(values: np.ndarray) -> str:
    """A signature as stored on the listing: base64 of the little-endian uint32 values (344 characters)."""
    return base64.b64encode(values.astype("<u4", copy=False).tobytes()).decode("ascii")


def text_signature(units: list[list[str]]) -> dict[str, object] | None:
    """``{"version", "bands", "minhash"}`` for a listing's units, or ``None`` without units."""
    if not units:
        return None
    sketches = [minhash(unit) for unit in units]
    bands = sorted({key for values in sketches for key in band_keys(values)})
    return {"version": VERSION, "bands": bands, "minhash": [encode(values) for values in sketches]}
