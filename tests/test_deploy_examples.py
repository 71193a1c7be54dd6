"""The deployment examples (deploy/, docs/deployment.md) are checked as far as this machine allows.

No Docker daemon and no systemd as PID 1 here: the systemd units are verified with `systemd-analyze verify`
(syntax, known keys and values, the executable), and every Trawler command the units and the compose file
start is parsed by the real CLI (`--help` after the arguments: a wrong command or option name fails).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
TRAWLER = "/opt/trawler/venv/bin/trawler"


def trawler_accepts(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler", *args, "--help"], cwd=REPO, capture_output=True, text=True)


def unit_commands() -> dict[str, list[str]]:
    commands = {}
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        [line] = [x for x in unit.read_text().splitlines() if x.startswith("ExecStart=")]
        program, *args = line.removeprefix("ExecStart=").split()
        assert program == TRAWLER, unit.name
        commands[unit.name] = [a.replace("%i", "demo-forum") for a in args]
    return commands


def test_the_systemd_units_verify_cleanly(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (Debian package systemd)"
    executable = tmp_path / "trawler"
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    units = sorted((DEPLOY / "systemd").iterdir())
    assert [u.name for u in units] == [
        "trawler-scheduler.service", "trawler-seed@.service", "trawler-seed@.timer", "trawler-worker@.service",
    ]  # fmt: skip
    for unit in units:
        (tmp_path / unit.name).write_text(unit.read_text().replace(TRAWLER, str(executable)))
    result = subprocess.run([analyze, "verify", *(str(tmp_path / u.name) for u in units)], capture_output=True,
                            text=True)  # fmt: skip
    # systemd-analyze exits 0 on unknown keys and bad values, and says so: any output is a finding.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_every_command_the_units_start_is_one_trawler_knows() -> None:
    commands = unit_commands()
    assert commands == {
        "trawler-scheduler.service": ["scheduler", "run"],
        "trawler-seed@.service": ["seed", "demo-forum"],
        "trawler-worker@.service": ["worker", "--max-idle", "0"],
    }
    for name, args in commands.items():
        result = trawler_accepts(args)
        assert result.returncode == 0, (name, result.stderr[-2000:])


def test_every_command_the_compose_file_starts_is_one_trawler_knows() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    commands = {
        name: service["command"][1:]
        for name, service in compose["services"].items()
        if service.get("command", [None])[0] == "trawler"
    }
    assert sorted(commands) == ["analyst", "scheduler", "worker"]
    for name, args in commands.items():
        result = trawler_accepts([str(a) for a in args])
        assert result.returncode == 0, (name, result.stderr[-2000:])
