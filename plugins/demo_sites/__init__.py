"""Built-in plugin: the site profiles of the bundled demo platforms (``trawler demo``).

Their addresses come from ``TRAWLER_DEMO_<NAME>_URL`` (set by the demo server),
with the demo server's default ports as fallback.
"""

from pathlib import Path

from crawler.plugins import hookimpl

PROFILE_DIR = Path(__file__).parent / "profiles"


@hookimpl
def trawler_register_site_profiles() -> list[str]:
    return [str(PROFILE_DIR)]
