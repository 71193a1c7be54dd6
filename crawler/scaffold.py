"""Create a new platform-type plugin as its own pip-installable package, from ``scaffold_template/``.

The generated package has the entry point, the hook implementations, a spider,
extractors, an example site profile, an example fixture and tests that pass
as generated (a Trawler test generates one and runs its tests).
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

TEMPLATE_DIR = Path(__file__).parent / "scaffold_template"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class ScaffoldError(ValueError):
    pass


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def create_plugin(name: str, destination: Path, platform_type: str | None = None, kind: str = "post") -> Path:
    """Write ``trawler-<name>/`` under ``destination``; returns the new folder."""
    if not NAME.match(name):
        raise ScaffoldError(f"plugin name {name!r}: use lowercase letters, digits and _ (e.g. job_board)")
    platform_type = platform_type or name.replace("_", "-")
    if not re.match(r"^[a-z][a-z0-9_-]*$", platform_type):
        raise ScaffoldError(f"platform type {platform_type!r}: use lowercase letters, digits, - and _")
    dist = f"trawler-{name.replace('_', '-')}"
    root = destination / dist
    if root.exists():
        raise ScaffoldError(f"{root} already exists")
    package = f"trawler_{name}"
    values = {
        "name": name,
        "dist": dist,
        "package": package,
        "platform_type": platform_type,
        "kind": kind,
        "spider_class": f"{_camel(name)}Spider",
        "start_url": f"https://{platform_type}.example/",
    }
    for source in sorted(TEMPLATE_DIR.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE_DIR).with_suffix("")
        parts = [package if part == "pkg" else part for part in relative.parts]
        target = root.joinpath(*parts)
        if target.name == "example.yaml":
            target = target.with_name(f"{name}-example.yaml")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(source.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
    return root
