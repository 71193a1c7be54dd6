"""Run the demo server in its own process (so it does not share the crawler's CPU core)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime

from crawler.demo.base import BuildOptions
from crawler.demo.server import DEFAULT_PORT_BASE, env_for, urls_for

READY_TIMEOUT = 120.0


class DemoServerError(RuntimeError):
    pass


class DemoServer:
    """``with DemoServer(options) as server: server.urls, server.env``."""

    def __init__(
        self,
        options: BuildOptions | None = None,
        port_base: int = DEFAULT_PORT_BASE,
        only: str = "",
        session_pages: int = 0,
    ) -> None:
        self.options = options or BuildOptions(now=datetime.now(UTC).replace(microsecond=0))
        self.port_base = port_base
        self.only = only
        self.session_pages = session_pages
        self.proc: subprocess.Popen[str] | None = None
        self.urls: dict[str, str] = {}

    @property
    def env(self) -> dict[str, str]:
        return env_for(self.urls)

    def start(self) -> DemoServer:
        o = self.options
        args = [sys.executable, "-m", "crawler.demo.server", "--port-base", str(self.port_base), "--seed", str(o.seed)]
        args += ["--scale", str(o.scale), "--revision", str(o.revision), "--now", o.now.isoformat()]
        if o.change_fraction or o.depth != 1:
            args += ["--change-fraction", str(o.change_fraction), "--depth", str(o.depth)]
        if self.only:
            args += ["--only", self.only]
        if self.session_pages:
            args += ["--session-pages", str(self.session_pages)]
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=self.log, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(READY_TIMEOUT)
        if not line or not line[0].startswith("READY"):
            self.stop()
            self.log.seek(0)
            err = self.log.read()
            raise DemoServerError(f"the demo server did not start: {err.strip()[-600:] or 'no output'}")
        ready = dict(part.split("=", 1) for part in line[0].split()[1:])
        self.urls = {name: url for name, url in urls_for(self.port_base).items() if name in ready}
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
