"""The web application served for real: uvicorn on a free port of 127.0.0.1, in a thread of the
test process (what `cme serve --no-scheduler` runs, on the test's own `App`, so a test can share
its fake clock and database). Used by the OIDC tests (over httpx) and the browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cme.bootstrap import App


@contextmanager
def serving(app: App) -> Iterator[str]:
    """Serve `cme.web.app.create_app(app)`; yields its base URL (`http://127.0.0.1:PORT`)."""
    import uvicorn

    from cme.web.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(app), log_level="warning", access_log=False, lifespan="off", workers=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web application did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
