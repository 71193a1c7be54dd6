"""`trawler new-plugin` makes a package whose own tests pass as generated, and which Trawler then loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.scaffold import ScaffoldError, create_plugin
from tests.conftest import REPO, run_cli


def test_generated_plugin_installs_passes_its_tests_and_is_loaded(tmp_path: Path) -> None:
    result = run_cli(["new-plugin", "job_board", "--kind", "ad", "--dest", str(tmp_path)], {})
    assert result.returncode == 0, result.stderr
    root = tmp_path / "trawler-job-board"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "README.md",
        "pyproject.toml",
        "tests/test_plugin.py",
        "trawler_job_board/__init__.py",
        "trawler_job_board/extractors.py",
        "trawler_job_board/fixtures/example/expected.json",
        "trawler_job_board/fixtures/example/fixture.json",
        "trawler_job_board/fixtures/example/page.html",
        "trawler_job_board/profiles/job_board-example.yaml",
        "trawler_job_board/spider.py",
    ]
    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target),
         str(root)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO)])}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert tests.returncode == 0, tests.stdout[-3000:]
    assert "4 passed" in tests.stdout
    infos = {i["name"]: i for i in json.loads(run_cli(["plugins", "--json"], {"PYTHONPATH": env["PYTHONPATH"]}).stdout)}
    assert infos["job_board"]["platform_types"] == ["job-board"]
    assert infos["job_board"]["distribution"] == "trawler-job-board"
    sites = run_cli(["sites"], {"PYTHONPATH": env["PYTHONPATH"]})
    assert "job_board-example" in sites.stdout


def test_bad_names_and_existing_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError, match="use lowercase letters"):
        create_plugin("Job Board", tmp_path)
    create_plugin("shop", tmp_path)
    with pytest.raises(ScaffoldError, match="already exists"):
        create_plugin("shop", tmp_path)
