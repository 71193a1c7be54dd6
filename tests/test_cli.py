"""The command line: every command explains itself; sites and ground truth listings; plain `scrapy crawl`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pymongo
import pytest
import typer.main
from typer.testing import CliRunner

from crawler.cli import app
from tests.conftest import REPO, run_cli, start_demo


def _commands(group: typer.Typer, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    click_group = typer.main.get_command(group)
    for name, command in click_group.commands.items():
        found.append((*prefix, name))
        for sub in getattr(command, "commands", {}):
            found.append((*prefix, name, sub))
    return found


@pytest.mark.parametrize("command", _commands(app), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    click_group = typer.main.get_command(app)
    target = click_group
    for part in command:
        target = target.commands[part]
    assert (target.help or "").strip(), f"`trawler {' '.join(command)}` has no help text"
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_sites_lists_the_demo_profiles_with_their_types(tmp_path: Path) -> None:
    result = run_cli(["sites"], {"TRAWLER_PROFILE_DIRS": str(tmp_path)})
    assert result.returncode == 0
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("│ demo-")}
    assert sorted(rows) == ["demo-forum", "demo-forum-members", "demo-market", "demo-market-js", "demo-reviews"]
    assert "marketplace" in rows["demo-market"] and "forum" in rows["demo-forum"] and "review" in rows["demo-reviews"]
    assert "browser" in rows["demo-market-js"] and "http" in rows["demo-market"]


def test_demo_truth_exports_the_ground_truth(tmp_path: Path) -> None:
    out = tmp_path / "truth.json"
    result = run_cli(["demo", "truth", "-o", str(out), "--now", "2026-11-01T12:00:00+00:00"], {})
    assert result.returncode == 0, result.stderr
    truth = json.loads(out.read_text())
    assert {site: len(items) for site, items in truth.items()} == {
        "demo-forum": 365,
        "demo-market": 120,
        "demo-reviews": 209,
        "demo-market-js": 23,
    }
    assert "wrote 717 listings for 4 sites" in result.stdout


def test_plain_scrapy_crawl_starts_the_embedded_database_and_stores(tmp_path: Path) -> None:
    demo = start_demo()
    env = {**os.environ, **demo.env, "TRAWLER_VAR_DIR": str(tmp_path / "var"), "MONGO_URI": "",
           "MONGO_DATABASE": "plain"}  # fmt: skip
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "demo-reviews"], cwd=REPO, env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        state = json.loads((tmp_path / "var" / "secantus" / "server.json").read_text())
        client = pymongo.MongoClient(f"mongodb://127.0.0.1:{state['port']}")
        assert client.plain.listings.count_documents({}) == len(demo.truth()["demo-reviews"])
        assert client.plain.crawl_runs.find_one()["status"] == "finished"
        client.close()
    finally:
        demo.server.stop()
        run_cli(["db", "stop"], {"TRAWLER_VAR_DIR": str(tmp_path / "var")})
