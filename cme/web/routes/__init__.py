"""The web application's routers: one module per area, each exposing `router` (FastAPI
`APIRouter`), included by `cme.web.app.ROUTERS`."""
