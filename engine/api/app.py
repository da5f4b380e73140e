"""The FastAPI application of ``tradeforge serve``: signals, positions, paper orders and the page.

Routes: ``GET /health`` (open), ``GET /signals`` (the current bar's signals, cached per bar),
``GET /positions``, ``GET /orders``, ``GET /orders/preview?symbol=``, ``POST /orders``,
``GET /orders/{client_order_id}``, the page at ``/`` with its static files, ``/docs`` (Swagger UI
served from the ``swagger-ui-bundle`` package's files, no CDN) and ``/openapi.json``; every route but
``/health`` (and the page's login form) is protected as :mod:`tradeforge.engine.api.auth` says.
Everything the app talks to is injected (:func:`create_app`), so tests run it on a fake Alpaca with a
real signal computation.
"""

from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any

from tradeforge.errors import BrokerError, TradeforgeError, TransientBrokerError

from . import auth
from .orders import OrderDesk, Refusal, plan_dict
from .schemas import OrderRequest, Signal
from .signals_cache import SignalCache

__all__ = ["create_app"]

_STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
#: Swagger UI's files served from the ``swagger-ui-bundle`` package (``/docs`` works offline)
_DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css",
                "favicon-32x32.png": "image/png"}
_DOCS_PREFIX = "/docs/assets"
_REFUSAL_STATUS = {"not_found": 404}


def _static_text(name: str) -> str:
    return resources.files("tradeforge.engine.api").joinpath("static", name).read_text(encoding="utf-8")


def create_app(*, signal_source: Callable[[datetime], Any], store: Any, risk: Any, token: str | None = None,
               bar: str = "1m", order_value: float = 1_000.0, clock: Callable[[], datetime] | None = None,
               allowed_hosts: tuple[str, ...] | None = None) -> Any:
    """Build the API.

    Parameters
    ----------
    signal_source : callable
        ``signal_source(bar_time) -> signals`` (:class:`~tradeforge.engine.api.signals_cache.SignalCache`).
    store : AlpacaStore
        A PAPER store; its journal records every order.
    risk : LiveRisk
        The pre-trade gate (kill switch, daily loss limit, position limits) persisted in the journal.
    token : str, optional
        Protects every route but ``/health`` (None: open, for a server bound to 127.0.0.1 only).
    bar : str
        Bar size of the signal cache.
    order_value : float
        Dollars per order when a request names no quantity.
    clock : callable, optional
        Aware UTC "now" for the cache and the desk (default: the system clock).
    allowed_hosts : tuple of str, optional
        ``Host`` headers accepted (default without a token: 127.0.0.1, localhost, ::1; with one: any).

    Returns
    -------
    fastapi.FastAPI
    """
    from fastapi import Depends, FastAPI
    from fastapi.middleware.trustedhost import TrustedHostMiddleware

    if token is not None:
        auth.check_token(token)
    cache = SignalCache(signal_source, bar=bar, clock=clock)
    desk = OrderDesk(store, risk, order_value=order_value, clock=clock)
    app = FastAPI(title="tradeforge", version="1", docs_url=None, redoc_url=None, openapi_url=None,
                  description="Signals, positions and paper bracket orders (Alpaca) of a tradeforge model.")
    hosts = allowed_hosts if allowed_hosts is not None else (auth.LOCAL_HOSTS if token is None else ("*",))
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(hosts))
    app.state.cache, app.state.desk = cache, desk
    protected = [Depends(_guard(token))]
    _add_handlers(app)
    _add_api(app, cache, desk, protected, token)
    _add_page(app, token, protected)
    return app


def _guard(token: str | None) -> Callable[..., str]:
    """The dependency of every protected route (:mod:`.auth`): 401 without the token, 403 for a POST
    authenticated by the cookie (or by nothing) without the ``X-Requested-With`` header."""
    from fastapi import HTTPException, Request

    def guard(request: Request) -> str:
        how = auth.authorized(token, header=request.headers.get("authorization"),
                              cookie=request.cookies.get(auth.COOKIE))
        if how is None:
            raise HTTPException(401, "missing or wrong token: send 'Authorization: Bearer <token>' "
                                     f"({auth.TOKEN_ENV}) or log in on the page",
                                headers={"WWW-Authenticate": "Bearer"})
        if request.method == "POST" and how != "bearer" and \
                request.headers.get(auth.CSRF_HEADER) != auth.CSRF_VALUE:
            raise HTTPException(403, f"POST needs the header 'X-Requested-With: {auth.CSRF_VALUE}' "
                                     "(or a bearer token)")
        return how

    return guard


def _add_handlers(app: Any) -> None:
    """Refusals -> 409 (404 for an unknown symbol) with a code; our errors -> 502 (Alpaca refused) or 503."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    @app.exception_handler(Refusal)
    async def _refused(_request: Request, exc: Refusal) -> JSONResponse:
        body = {"detail": {"code": exc.code, "message": exc.message, "order": exc.order}}
        return JSONResponse(body, status_code=_REFUSAL_STATUS.get(exc.code, 409))

    @app.exception_handler(TradeforgeError)
    async def _failed(_request: Request, exc: TradeforgeError) -> JSONResponse:
        refused_by_alpaca = isinstance(exc, BrokerError) and not isinstance(exc, TransientBrokerError)
        status = 502 if refused_by_alpaca else 503
        return JSONResponse({"detail": {"code": type(exc).__name__, "message": str(exc)}}, status_code=status)


def _add_api(app: Any, cache: SignalCache, desk: OrderDesk, protected: list, token: str | None) -> None:
    """``/health``, ``/signals``, ``/positions`` and the ``/orders`` routes."""
    from fastapi import HTTPException
    from fastapi.responses import Response

    @app.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        """Liveness: always answers, without a token and without calling the broker."""
        return {"status": "ok", "bar": cache.bar, "auth": token is not None}

    @app.get("/signals", response_model=list[Signal], dependencies=protected, tags=["signals"])
    def signals(response: Response) -> list[dict[str, Any]]:
        """The current bar's BUY signals in the issue's JSON shape (computed once per bar); the bar's
        start time is in the ``X-Signals-Bar`` header."""
        bar_time, found = cache.get()
        response.headers["X-Signals-Bar"] = bar_time.isoformat()
        return found

    @app.get("/positions", dependencies=protected, tags=["account"])
    def positions() -> dict[str, Any]:
        """The paper account (cash, equity, market open) and its positions, from Alpaca."""
        return desk.positions()

    def _plan(symbol: str, qty: int | None, bar_time: datetime | None = None) -> Any:
        current, signal = cache.find(symbol)
        if signal is None:
            raise Refusal("not_found", f"{symbol!r} has no signal on the bar {current.isoformat()}; "
                                       "GET /signals lists the current ones")
        if bar_time is not None and bar_time != current:
            raise Refusal("stale", f"{symbol}: the signal of {bar_time.isoformat()} was replaced by the bar "
                                   f"{current.isoformat()}; reload the signals and confirm again")
        return desk.plan(signal, current, qty)

    @app.get("/orders/preview", dependencies=protected, tags=["orders"])
    def preview(symbol: str, qty: int | None = None) -> dict[str, Any]:
        """The bracket order ``POST /orders`` would send for *symbol*'s current signal (nothing is sent)."""
        return plan_dict(_plan(symbol, qty))

    @app.post("/orders", status_code=201, dependencies=protected, tags=["orders"])
    def post_order(order: OrderRequest) -> dict[str, Any]:
        """Execute a current BUY signal as a PAPER bracket order (market entry, the signal's target and
        stop). 409 when the market is closed, the risk gate refuses, the bar's signal was already sent, or
        ``bar_time`` is not the current bar; 404 for a symbol without a signal."""
        return desk.execute(_plan(order.symbol, order.qty, order.bar_time))

    @app.get("/orders", dependencies=protected, tags=["orders"])
    def orders() -> list[dict[str, Any]]:
        """The orders sent from this API (journal), newest first."""
        return desk.orders()

    @app.get("/orders/{client_order_id}", dependencies=protected, tags=["orders"])
    def order(client_order_id: str) -> dict[str, Any]:
        """One order's current state (asks Alpaca while it is open)."""
        found = desk.refresh(client_order_id)
        if found is None:
            raise HTTPException(404, f"no order {client_order_id!r} in the journal")
        return found


def _add_page(app: Any, token: str | None, protected: list) -> None:
    """The page, its static files, the login form and the (protected) OpenAPI docs."""
    from fastapi import HTTPException, Request
    from fastapi.responses import HTMLResponse, JSONResponse, Response
    from pydantic import BaseModel

    class Login(BaseModel):
        token: str

    @app.get("/", include_in_schema=False)
    def page(request: Request) -> Any:
        how = auth.authorized(token, header=request.headers.get("authorization"),
                              cookie=request.cookies.get(auth.COOKIE))
        return HTMLResponse(_static_text("index.html" if how else "login.html"))

    @app.post("/login", include_in_schema=False)
    def login(body: Login, request: Request) -> Any:
        if request.headers.get(auth.CSRF_HEADER) != auth.CSRF_VALUE:
            raise HTTPException(403, f"login needs the header 'X-Requested-With: {auth.CSRF_VALUE}'")
        if token is None or auth.authorized(token, header=f"Bearer {body.token}", cookie=None) is None:
            raise HTTPException(401, "wrong token")
        out = JSONResponse({"status": "ok"})
        out.set_cookie(auth.COOKIE, auth.session_value(token), httponly=True, samesite="strict", path="/")
        return out

    @app.get("/static/{name}", include_in_schema=False, dependencies=protected)
    def static(name: str) -> Any:
        if name not in _STATIC:
            raise HTTPException(404, f"no static file {name!r}")
        return Response(_static_text(name), media_type=_STATIC[name],
                            headers={"Cache-Control": "no-cache"})

    @app.get("/openapi.json", include_in_schema=False, dependencies=protected)
    def openapi() -> Any:
        return JSONResponse(app.openapi())

    _add_docs(app, protected)


def _add_docs(app: Any, protected: list) -> None:
    """``/docs``: Swagger UI from the files of the ``swagger-ui-bundle`` package, so that it works offline.

    The page and its assets (``/docs/assets/<file>``) are protected like every route but ``/health``: the
    browser that opened ``/docs`` with the session cookie sends it for the assets as well."""
    from pathlib import Path

    from fastapi import HTTPException
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import FileResponse
    from swagger_ui_bundle import swagger_ui_path

    folder = Path(swagger_ui_path)

    @app.get(_DOCS_PREFIX + "/{name}", include_in_schema=False, dependencies=protected)
    def docs_asset(name: str) -> Any:
        if name not in _DOCS_ASSETS:
            raise HTTPException(404, f"no docs asset {name!r}")
        return FileResponse(folder / name, media_type=_DOCS_ASSETS[name])

    @app.get("/docs", include_in_schema=False, dependencies=protected)
    def docs() -> Any:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="tradeforge API",
                                   swagger_js_url=f"{_DOCS_PREFIX}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{_DOCS_PREFIX}/swagger-ui.css",
                                   swagger_favicon_url=f"{_DOCS_PREFIX}/favicon-32x32.png")
