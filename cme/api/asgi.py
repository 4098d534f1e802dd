"""The API on its own, for a server (the web application mounts the same `create_api` at
`/api/v1` beside its pages)::

    uvicorn --factory cme.api.asgi:app --no-access-log --host 127.0.0.1 --port 8000

`--no-access-log`: a server's access log would print each URL, and a queue search's text (a
child's name) travels in the query string; cme keeps its own access log, without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette


def app() -> Starlette:
    """The API mounted at `/api/v1`, on the app the environment configures (`CME_...`)."""
    from cme.api import create_api, mounted
    from cme.bootstrap import build_app

    application = build_app()
    application.check_schema()
    return mounted(create_api(application))
