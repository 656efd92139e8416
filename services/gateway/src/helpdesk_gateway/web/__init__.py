"""The web interface: a static shell and ES modules that use the public REST API.

The browser keeps the access token in memory (and the refresh token in
sessionStorage), sends it as a bearer header — so REST calls need no cookies
and no CSRF defence — and never puts a token in a URL. For the WebSocket,
which cannot carry a header, ``POST /web/session`` copies the verified access
token into an HttpOnly, SameSite=Strict cookie scoped to ``/ws``: cross-site
pages can neither read it nor make the browser send it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from helpdesk_gateway.auth import CallerDep

STATIC = Path(__file__).parent / "static"
# Third-party files served as they came (web/vendor/*/README.md says from where).
VENDOR = Path(__file__).parent / "vendor"
ACCESS_COOKIE = "helpdesk_access"

# Everything the pages load comes from this origin; no inline script or style.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

router = APIRouter()


@router.get("/", include_in_schema=False)
@router.get("/auth/confirm", include_in_schema=False)
@router.get("/auth/reset", include_in_schema=False)
@router.get("/tickets/{ticket_id:int}", include_in_schema=False)
@router.get("/portal", include_in_schema=False)
@router.get("/portal/{page:path}", include_in_schema=False)
async def index() -> FileResponse:
    """The page shell. ``/auth/confirm`` and ``/auth/reset`` (identity's registration and
    recovery mails), ``/tickets/{id}`` and ``/portal/posts/{id}`` (notify's mails) and the
    portal's public addresses are the same page, which turns the path into its hash route."""
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


@router.get("/docs", include_in_schema=False)
async def api_docs() -> FileResponse:
    """The API reference (Swagger UI on /api/v1/openapi.json), all from this origin."""
    return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-store"})


@router.post("/web/session", status_code=204, include_in_schema=False)
async def open_socket_session(caller: CallerDep, request: Request) -> Response:
    """Sets the cookie that authenticates the page's WebSocket (see the module docstring)."""
    token = request.headers["authorization"].partition(" ")[2].strip()
    # Behind TLS the cookie is Secure: the public URL says https, or a trusted proxy does
    # (X-Forwarded-Proto, believed only from HELPDESK_TRUSTED_PROXIES).
    public_url: str = request.app.state.clients.settings.public_url
    response = Response(status_code=204)
    response.set_cookie(
        ACCESS_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https" or public_url.startswith("https://"),
        path="/ws",
    )
    return response


@router.delete("/web/session", status_code=204, include_in_schema=False)
async def close_socket_session() -> Response:
    response = Response(status_code=204)
    response.delete_cookie(ACCESS_COOKIE, path="/ws")
    return response


def mount(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/vendor", StaticFiles(directory=VENDOR), name="vendor")
