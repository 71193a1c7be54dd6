"""The embedded default database: a SecantusDB daemon (real MongoDB wire protocol) under ``var/``.

Used when no ``MONGO_URI`` is configured. One daemon per var directory is
started on demand and reused by every later command until ``trawler db stop``;
a lock file keeps two processes from starting two daemons at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

DAEMON = "secantusd-py"
START_TIMEOUT = 60.0


class EmbeddedServerError(RuntimeError):
    pass


@dataclass(frozen=True)
class ServerState:
    pid: int
    port: int
    storage_path: str
    log_path: str

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}"


def _dir(var_dir: str | Path) -> Path:
    return Path(var_dir).resolve() / "secantus"


def _state_file(var_dir: str | Path) -> Path:
    return _dir(var_dir) / "server.json"


@contextlib.contextmanager
def _locked(var_dir: str | Path) -> Iterator[None]:
    home = _dir(var_dir)
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "server.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        # A zombie (exited, not yet reaped) is not alive.
        if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
            return False
    return True


def ping(uri: str, timeout_ms: int = 1000) -> bool:
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def daemon_command() -> list[str]:
    beside = Path(sys.executable).parent / DAEMON
    found = str(beside) if beside.exists() else shutil.which(DAEMON)
    if not found:
        raise EmbeddedServerError(
            f"{DAEMON} not found: install the embedded database with `pip install SecantusDB`, "
            "or set MONGO_URI to a MongoDB server"
        )
    return [found]


def status(var_dir: str | Path) -> ServerState | None:
    """The running embedded server of this var directory, or None."""
    path = _state_file(var_dir)
    try:
        state = ServerState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if pid_alive(state.pid) and ping(state.uri):
        return state
    return None


def start_process(storage_path: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    storage_path.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the daemon, which outlives this function
    args = [*daemon_command(), "--host", "127.0.0.1", "--port", str(port), "--storage-path", str(storage_path)]
    return subprocess.Popen(
        args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )


def wait_until_up(uri: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-800:] if log_path.exists() else ""
            raise EmbeddedServerError(f"the embedded database exited at start (code {proc.returncode}): {tail}")
        if ping(uri, timeout_ms=500):
            return
        time.sleep(0.2)
    proc.terminate()
    raise EmbeddedServerError(f"the embedded database did not answer on {uri} within {timeout:.0f} s; see {log_path}")


def ensure_running(var_dir: str | Path) -> ServerState:
    """Start the embedded server of ``var_dir`` unless it already runs; return its state."""
    with _locked(var_dir):
        running = status(var_dir)
        if running:
            return running
        home = _dir(var_dir)
        port = free_port()
        log_path = home / "server.log"
        proc = start_process(home / "data", port, log_path)
        state = ServerState(proc.pid, port, str(home / "data"), str(log_path))
        wait_until_up(state.uri, proc, log_path)
        _state_file(var_dir).write_text(json.dumps(state.__dict__))
        return state


def stop(var_dir: str | Path, timeout: float = 20.0) -> ServerState | None:
    """Stop the embedded server of ``var_dir``; returns what was stopped, or None."""
    with _locked(var_dir):
        path = _state_file(var_dir)
        try:
            state = ServerState(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None
        if pid_alive(state.pid):
            os.kill(state.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while pid_alive(state.pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if pid_alive(state.pid):
                os.kill(state.pid, signal.SIGKILL)
        path.unlink(missing_ok=True)
        return state
