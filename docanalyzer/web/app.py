"""The application: routers, signed session cookies, templates with autoescaping, static files,
strict security headers, and errors as one clear message (JSON under /api, a page elsewhere)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from docanalyzer import config
from docanalyzer.errors import DocanalyzerError
from docanalyzer.store import InvalidChange, NotFound, StaleVersion, db
from docanalyzer.web import api, auth, limits, pages

HERE = Path(__file__).resolve().parent
log = logging.getLogger("docanalyzer.web")

# Scripts and styles only from this server: text from a document can never run, even if it got out.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def rank_with_classifier(texts: list[str]) -> list[dict]:
    """Category suggestions for items reviewers make; without a usable model they get none."""
    from docanalyzer.classify.model import load_classifier

    try:
        return load_classifier().explain_many(texts)
    except DocanalyzerError as e:
        log.warning("no category suggestions: %s", e.message)
        return [{"category": None, "categories": [], "reasons": []} for _ in texts]


def create_app(url: str | None = None, data_dir: Path | None = None) -> FastAPI:
    """The app over the store at ``url`` (default: the configured one, migrated to the newest schema)."""
    from docanalyzer.classify.taxonomy import load_taxonomy

    db.upgrade(url)
    data_dir = data_dir or db.data_dir()
    app = FastAPI(
        title="docanalyzer 整改台账审核",
        description="Reviewers correct extracted rectification items beside their source text.",
        version="1",
        docs_url=None,  # the interactive pages load scripts from a CDN: these machines have no internet
        redoc_url=None,
        openapi_url=None,  # served below, to signed-in users only
    )
    app.state.engine = db.engine(url)
    app.state.data_dir = data_dir
    app.state.taxonomy = load_taxonomy()
    app.state.rank = rank_with_classifier
    app.state.throttle = auth.throttle_from_settings()
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    app.state.templates = Jinja2Templates(env=environment)

    app.add_middleware(
        SessionMiddleware,
        secret_key=auth.secret_key(data_dir),
        session_cookie="docanalyzer_session",
        max_age=config.get("session_hours") * 3600,
        same_site="lax",
    )
    app.add_middleware(auth.SecureCookies)
    app.add_middleware(limits.RequestLimits, max_bytes=config.get("max_request_kb") * 1024)  # outermost

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(user: Annotated[dict, Depends(auth.require("read"))]) -> dict:
        return app.openapi()

    app.include_router(api.router)
    app.include_router(api.writes)
    app.include_router(pages.router)
    add_error_handlers(app)
    return app


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(request: Request, status: int, message: str, **extra):
    """One clear message: JSON for the API, the error page for people."""
    if wants_json(request):
        return JSONResponse({"error": message, **extra}, status_code=status)
    user = auth.signed_in_user(request)
    if user is None:  # nobody signed in sees anything but the login page
        return RedirectResponse("/login", status_code=303)
    return pages.render(request, "error.html", user, status, message=message, status=status)


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(auth.NotSignedIn)
    async def not_signed_in(request: Request, _exc):
        if wants_json(request):
            return JSONResponse({"error": "请先登录（not signed in）"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(auth.Forbidden)
    async def forbidden(request: Request, _exc):
        return problem(request, 403, "您的角色无权进行此操作。")

    @app.exception_handler(auth.CsrfRejected)
    async def csrf_rejected(request: Request, _exc):
        return problem(request, 403, "请求缺少有效的 CSRF 令牌，请刷新页面后重试。")

    @app.exception_handler(auth.Throttled)
    async def throttled(request: Request, exc: auth.Throttled):
        response = problem(request, 429, "登录失败次数过多，请稍后再试。")
        response.headers["Retry-After"] = str(max(1, int(exc.wait_s)))
        return response

    @app.exception_handler(StaleVersion)
    async def stale(request: Request, exc: StaleVersion):
        return problem(request, 409, exc.message, current=exc.current, yours=exc.yours)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return problem(request, 404, exc.message)

    @app.exception_handler(InvalidChange)
    async def invalid(request: Request, exc: InvalidChange):
        return problem(request, 400, exc.message)

    @app.exception_handler(DocanalyzerError)
    async def other_error(request: Request, exc: DocanalyzerError):
        log.error("%s %s: %s", request.method, request.url.path, exc.message)
        return problem(request, 500, exc.message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"] if part != "body")
        return problem(request, 422, f"{where}: {first['msg']}" if where else first["msg"])

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        message = "页面不存在。" if exc.status_code == 404 else str(exc.detail)
        return problem(request, exc.status_code, message)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("%s %s failed", request.method, request.url.path)
        return problem(request, 500, "服务器内部错误，已记录在日志中。")
