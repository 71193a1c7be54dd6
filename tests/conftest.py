"""Shared fixtures: a real SecantusDB server over TCP, the demo server, and a crawl runner.

Every test that stores data gets its own database name on the one session
server, so tests never see each other's listings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pymongo
import pytest

from crawler.demo.base import BuildOptions
from crawler.demo.process import DemoServer
from crawler.demo.server import ground_truth
from crawler.storage import embedded

REPO = Path(__file__).resolve().parent.parent

# Crawls compared with the demo's ground truth check extraction: enrichment plugins (which add contacts,
# indicators, language, location) are blocked there and tested on their own.
ENRICHERS = ("contacts", "indicators", "language", "location", "neardup")  # neardup is opt-in: blocked anyway
EXTRACTION_ONLY = {"TRAWLER_BLOCK_PLUGINS": ",".join(ENRICHERS)}


@dataclass
class MongoServer:
    uri: str
    proc: subprocess.Popen[bytes]
    storage: Path
    port: int

    def client(self) -> pymongo.MongoClient:
        return pymongo.MongoClient(self.uri, tz_aware=True, serverSelectionTimeoutMS=5000)


def start_mongo(storage: Path, port: int | None = None) -> MongoServer:
    port = port or embedded.free_port()
    log = storage.parent / f"{storage.name}.log"
    proc = embedded.start_process(storage, port, log)
    uri = f"mongodb://127.0.0.1:{port}"
    embedded.wait_until_up(uri, proc, log)
    return MongoServer(uri, proc, storage, port)


def stop_mongo(server: MongoServer) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(20)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait()


@pytest.fixture(scope="session")
def mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MongoServer]:
    server = start_mongo(tmp_path_factory.mktemp("mongo") / "data")
    yield server
    stop_mongo(server)


@pytest.fixture
def db_name() -> str:
    return f"t_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(mongo: MongoServer, db_name: str) -> Iterator[pymongo.database.Database]:
    client = mongo.client()
    yield client[db_name]
    client.drop_database(db_name)
    client.close()


@dataclass
class RunningDemo:
    server: DemoServer
    options: BuildOptions

    @property
    def env(self) -> dict[str, str]:
        return self.server.env

    def truth(self) -> dict[str, list[dict]]:
        return ground_truth(self.options, self.server.urls)


def start_demo(
    revision: int = 0, port_base: int | None = None, scale: int = 1, now: datetime | None = None
) -> RunningDemo:
    """Start a demo server; crawl it soon after, since relative dates are rendered against ``now``."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    options = BuildOptions(seed=7, scale=scale, revision=revision, now=now)
    base = port_base or _free_port_base()
    return RunningDemo(DemoServer(options, base).start(), options)


def _free_port_base() -> int:
    import socket

    for base in range(20000 + (os.getpid() % 500) * 10, 40000, 10):
        with socket.socket() as a, socket.socket() as b, socket.socket() as c, socket.socket() as d:
            try:
                for offset, sock in enumerate((a, b, c, d)):
                    sock.bind(("127.0.0.1", base + offset))
            except OSError:
                continue
            return base
    raise RuntimeError("no free ports for the demo server")


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str


def run_cli(args: list[str], env: dict[str, str], cwd: Path = REPO, timeout: int = 300) -> CrawlResult:
    full_env = {**os.environ, "COLUMNS": "200", **env}
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr)


def crawl_demo(
    mongo: MongoServer,
    demo: RunningDemo,
    name: str,
    var_dir: Path,
    sites: list[str],
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """Crawl ``sites`` of ``demo`` with the CLI into the fresh database ``name``; returns the crawl's environment."""
    with mongo.client() as client:
        client.drop_database(name)
    env = {"MONGO_URI": mongo.uri, "MONGO_DATABASE": name, "TRAWLER_VAR_DIR": str(var_dir), **(extra or {})}
    result = run_cli(["crawl", *sites, "--no-progress"], {**env, **demo.env})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return env


@pytest.fixture
def crawl_env(mongo: MongoServer, db_name: str, tmp_path: Path) -> dict[str, str]:
    """Environment for a crawl subprocess: the session server, a fresh database, a private var dir."""
    return {
        "MONGO_URI": mongo.uri,
        "MONGO_DATABASE": db_name,
        "TRAWLER_VAR_DIR": str(tmp_path / "var"),
        "TRAWLER_LOG_LEVEL": "INFO",
    }


@dataclass
class Received:
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def webhook() -> Iterator[tuple[str, Received]]:
    """A local HTTP server that records every POST and answers ``received.status``."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.requests.append((self.path, dict(self.headers), body))
            self.send_response(received.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()
