"""Helpers shared by the command modules."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

# No emoji codes: scraped text like ":thread:" must print as written.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)


def fail(message: str, hint: str = "", code: int = 1) -> NoReturn:
    """Print an error (and what to do about it) and exit."""
    err_console.print(f"[red]error:[/] {escape(message)}")
    if hint:
        err_console.print(f"[dim]{escape(hint)}[/]")
    raise typer.Exit(code)
