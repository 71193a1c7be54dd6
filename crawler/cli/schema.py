"""``trawler schema``: the Listing JSON Schema, for consumers of exports and the API."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from crawler.cli.common import console
from crawler.models import json_schema


def schema(
    output: Path = typer.Option(
        None, "--output", "-o", help="Write to this file (docs/listing.schema.json in the repo)."
    ),
) -> None:
    """Print or write the JSON Schema of a stored listing."""
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        print(text, end="")
        return
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {output}")
