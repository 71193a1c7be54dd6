"""The README's main command, `trawler demo`, on the embedded database it starts itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.conftest import _free_port_base, run_cli


def test_demo_starts_the_embedded_database_crawls_and_shows_how_to_query(tmp_path: Path) -> None:
    env = {"TRAWLER_VAR_DIR": str(tmp_path / "var"), "MONGO_URI": "", "MONGO_DATABASE": "demo"}
    base = _free_port_base()
    try:
        result = run_cli(["demo", "--no-progress", "--no-serve", "--port-base", str(base)], env, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        out = " ".join(result.stdout.split())
        assert "embedded SecantusDB at mongodb://127.0.0.1:" in out
        for name, offset in (("forum", 0), ("market", 1), ("reviews", 2), ("market-js", 3)):
            assert f"demo platform {name}: http://127.0.0.1:{base + offset}" in out
        assert "crawl summary" in out and "collected listings" in out
        assert "trawler search --contact '07700 900123'" in out

        status = run_cli(["db", "status"], env)
        assert status.returncode == 0 and "embedded database: mongodb://127.0.0.1:" in status.stdout
        state = json.loads((tmp_path / "var" / "secantus" / "server.json").read_text())
        os.kill(state["pid"], 0)  # still running for the next command

        listed = run_cli(["search", "--site", "demo-market", "--kind", "ad", "--limit", "3", "--jsonl"], env)
        docs = [json.loads(line) for line in listed.stdout.splitlines()]
        assert len(docs) == 3 and all(d["site"] == "demo-market" and d["kind"] == "ad" for d in docs)
        runs = run_cli(["runs"], env)
        assert runs.stdout.count("finished") == 4  # the JavaScript marketplace too, in Chromium
    finally:
        stop = run_cli(["db", "stop"], env)
    assert "stopped the embedded database" in stop.stdout
    assert run_cli(["db", "status"], env).returncode == 1
