"""``trawler new-plugin``: start a platform-type plugin as its own package."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from crawler.cli.common import console, fail
from crawler.scaffold import ScaffoldError, create_plugin


def new_plugin(
    name: str = typer.Argument(..., help="Plugin name: lowercase letters, digits, _ (e.g. job_board)."),
    platform_type: str = typer.Option(None, help="The platform type it provides (default: the name)."),
    kind: str = typer.Option("post", help="Kind of listing its detail pages hold (post, ad, review, profile...)."),
    dest: Path = typer.Option(Path("."), help="Where to create the trawler-<name> folder."),
) -> None:
    """Create a pip-installable platform plugin (entry point, hooks, spider, extractors, profile, fixture, tests)."""
    try:
        root = create_plugin(name, dest, platform_type, kind)
    except ScaffoldError as exc:
        fail(str(exc))
    console.print(escape(f"created {root}\nnext: cd {root} && pip install -e '.[test]' && pytest"))
