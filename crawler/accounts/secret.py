"""The server's secret key (it signs CSRF tokens): from TRAWLER_SECRET_KEY, else a file under the var dir.

The file is created once with mode 0600 and reused, so tokens stay valid across restarts and
several server processes on one host agree. The key never appears in code, logs or the repo.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ENV = "TRAWLER_SECRET_KEY"
FILE_NAME = "secret_key"
MIN_LENGTH = 32


class SecretKeyError(RuntimeError):
    pass


def load_secret_key(var_dir: str | Path) -> bytes:
    configured = os.environ.get(ENV, "")
    if configured:
        if len(configured) < MIN_LENGTH:
            raise SecretKeyError(f"{ENV} must be at least {MIN_LENGTH} characters (e.g. `openssl rand -hex 32`)")
        return configured.encode()
    path = Path(var_dir) / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process may have just created it: tighten the mode in case someone loosened it.
        os.chmod(path, 0o600)
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_LENGTH:
            raise SecretKeyError(f"{path} holds no usable key; delete it to have a new one made") from None
        return key.encode()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode()
