"""A loopback HTTP server for a directory of static files, with scripted faults.

Serves ``root`` as a release mirror is served (``{base}/{tag}/SHA256SUMS``, archives) over real
HTTP on 127.0.0.1.  Tests script failures by path glob (:func:`fnmatch.fnmatchcase` on the
request path): an HTTP status for the next ``times`` requests (or every one), a delay before the
answer, a body cut short; and may require basic auth.  Every request is recorded.
"""

from __future__ import annotations

import base64
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit


@dataclass(slots=True, kw_only=True)
class _Fault:
    glob: str
    status: int | None = None
    delay: float = 0.0
    truncate: bool = False
    times: int | None = None
    """How many requests it applies to; None for every one."""


class _QuietServer(ThreadingHTTPServer):
    """Keeps stderr quiet when a client goes away between requests (a keep-alive connection
    closed by a client that gave up); other errors are kept where the test checks them."""

    daemon_threads = True
    errors: list[str]

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            self.errors.append(traceback.format_exc())


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    path: str
    authorization: str | None


class StaticServer:
    """Serves the files under ``root``; use as a context manager."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[Request] = []
        self.errors: list[str] = []
        self._faults: list[_Fault] = []
        self._credentials: str | None = None
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self._httpd.errors = self.errors
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(
        self,
        glob: str,
        *,
        status: int | None = None,
        delay: float = 0.0,
        truncate: bool = False,
        times: int | None = None,
    ) -> None:
        """Script a fault for requests whose path matches ``glob``."""
        self._faults.append(
            _Fault(glob=glob, status=status, delay=delay, truncate=truncate, times=times)
        )

    def require_auth(self, user: str, password: str) -> None:
        self._credentials = base64.b64encode(f"{user}:{password}".encode()).decode()

    def requests_to(self, glob: str) -> list[Request]:
        return [request for request in self.requests if fnmatchcase(request.path, glob)]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _fault_for(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if not fnmatchcase(path, fault.glob) or fault.times == 0:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                try:
                    self._answer()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                except Exception as exc:  # a bug in the test server must show in the test
                    server.errors.append(repr(exc))
                    raise

            def _answer(self) -> None:
                path = unquote(urlsplit(self.path).path)
                authorization = self.headers.get("Authorization")
                server.requests.append(Request(path=path, authorization=authorization))
                fault = server._fault_for(path)
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)
                if server._credentials and authorization != f"Basic {server._credentials}":
                    self._send(401, b"unauthorized\n")
                elif fault is not None and fault.status is not None:
                    self._send(fault.status, b"scripted failure\n")
                else:
                    self._send_file(path, truncate=fault is not None and fault.truncate)

            def _send_file(self, path: str, *, truncate: bool) -> None:
                file = (server.root / path.lstrip("/")).resolve()
                if not file.is_relative_to(server.root.resolve()) or not file.is_file():
                    self._send(404, b"not found\n")
                    return
                data = file.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2] if truncate else data)
                if truncate:
                    self.close_connection = True

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
