"""Closing the index client's threaded HTTP while a request waits on a server that never answers.

A failed lock closes its index session with prefetches still running and prints its error once
no thread of the session is left: :meth:`ThreadedHttp.close` must end a blocked read at once,
not when the read timeout (here 60 s) runs out.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from omniwheel.index.threaded_http import ThreadedHttp


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections, reads the request, and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/simple/app/"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def _client() -> ThreadedHttp:
    return ThreadedHttp(
        connections=4, verify=True, timeout=httpx.Timeout(60.0), headers={"User-Agent": "test"}
    )


def test_close_ends_a_request_the_server_never_answers(silent_server: str) -> None:
    http = _client()
    outcome: list[BaseException | httpx.Response] = []

    async def ask_then_close() -> None:
        request = asyncio.ensure_future(http.get(silent_server, headers=None, auth=None))
        await asyncio.sleep(0.3)  # the request is sent and waits for an answer
        started = time.monotonic()
        http.close()
        outcome.append(await asyncio.wait_for(_settled(request), timeout=5))
        assert time.monotonic() - started < 5

    asyncio.run(ask_then_close())
    assert isinstance(outcome[0], httpx.TransportError)
    assert not [t for t in threading.enumerate() if t.name.startswith("index-http")]


def test_a_request_after_close_is_refused(silent_server: str) -> None:
    http = _client()
    http.close()
    with pytest.raises(RuntimeError):
        asyncio.run(http.get(silent_server, headers=None, auth=None))


async def _settled(future: asyncio.Future[httpx.Response]) -> BaseException | httpx.Response:
    try:
        return await future
    except Exception as exc:  # the outcome is what the test looks at
        return exc


@pytest.fixture
def answering_server() -> Iterator[str]:
    """A server that answers every request with a 1 MB body."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"x" * 1_000_000
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/app/"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_response_is_freed_when_let_go_not_at_a_collection(answering_server: str) -> None:
    """httpx binds a read response and its stream to each other; the client unbinds them, so a
    page's body goes as soon as the response does, with no garbage collection."""
    import gc
    import weakref

    http = _client()
    gc.disable()
    try:  # on this thread: the event loop's futures would hold the response for a while
        response = http._fetched(answering_server, headers=None, auth=None)
        assert response.content == b"x" * 1_000_000
        gone = weakref.ref(response)
        del response
        assert gone() is None
    finally:
        gc.enable()
        http.close()
