"""A real pypiserver on loopback, behind htpasswd basic auth: the private index of the tests.

pypiserver serves PEP 503 HTML pages only (no JSON, no metadata files, no byte ranges), with
relative file links, like many private indexes.  It runs as a subprocess of the venv's
``pypi-server``, bound to a loopback address, with the fallback to a public index switched off
(nothing leaves the machine).  The htpasswd file is written with ``{SHA}`` entries (Apache's
``htpasswd -s`` format), which pypiserver's htpasswd reader accepts.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

_STARTUP_SECONDS = 20.0


class PypiServer:
    """``pypi-server run`` on ``host``:(free port) serving ``packages`` to ``user``/``password``.

    ``-a download,list``: pages and files both need the credentials.
    """

    def __init__(
        self, packages: Path, *, user: str, password: str, host: str = "127.0.0.1"
    ) -> None:
        self.packages = packages
        self.host = host
        self.port = _free_port(host)
        self._htpasswd = packages.parent / f"{packages.name}.htpasswd"
        digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
        self._htpasswd.write_text(f"{user}:{{SHA}}{digest}\n", encoding="utf-8")
        self._log = packages.parent / f"{packages.name}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The simple index root, ``http://HOST:PORT/simple/``, without credentials."""
        return f"http://{self.host}:{self.port}/simple/"

    def add(self, wheel: Path) -> None:
        shutil.copy2(wheel, self.packages / wheel.name)

    def __enter__(self) -> Self:
        self.packages.mkdir(parents=True, exist_ok=True)
        command = [
            str(Path(sys.executable).with_name("pypi-server")),
            "run",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--authenticate",
            "download,list",
            "--passwords",
            str(self._htpasswd),
            "--disable-fallback",
            "--server",
            "wsgiref",
            str(self.packages),
        ]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_up()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + _STARTUP_SECONDS
        health = f"http://{self.host}:{self.port}/health"
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"pypi-server exited:\n{self._log.read_text()}")
            try:
                if httpx.get(health, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"pypi-server did not start in time:\n{self._log.read_text()}")


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
