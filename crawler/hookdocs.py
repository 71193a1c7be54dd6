"""Render the hook reference (``docs/hooks.md``) from the docstrings in :mod:`crawler.hookspecs`."""

from __future__ import annotations

import inspect

from crawler import hookspecs


def hook_functions() -> list[tuple[str, object]]:
    return [
        (name, fn)
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("trawler_") and fn.__module__ == hookspecs.__name__
    ]


def render_hook_docs() -> str:
    source = inspect.getsource(hookspecs)
    ordered = sorted(hook_functions(), key=lambda item: source.index(f"def {item[0]}("))
    lines = [
        "# Hook reference",
        "",
        "Generated from `crawler/hookspecs.py` by `trawler plugins docs`; do not edit by hand.",
        "",
        inspect.cleandoc(hookspecs.__doc__ or ""),
        "",
    ]
    for name, fn in ordered:
        spec = getattr(fn, "trawler_spec", {}) or {}
        signature = str(inspect.signature(fn)).replace("'", "")
        lines += [f"## `{name}{signature}`", ""]
        if spec.get("firstresult"):
            lines += ["*firstresult: stops at the first non-None result.*", ""]
        lines += [inspect.cleandoc(fn.__doc__ or ""), ""]
    return "\n".join(lines)
