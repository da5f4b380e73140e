"""The API through FastAPI's TestClient on a FakeAlpaca (real alpaca-py, real journal, real risk gate)."""

from __future__ import annotations

import pytest

from tradeforge.engine.api.signals_cache import SIGNAL_KEYS

pytest.importorskip("fastapi")

CSRF = {"X-Requested-With": "tradeforge"}
TOKEN = "api-token-canary-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(make_app):
    from fastapi.testclient import TestClient

    with TestClient(make_app(), base_url="http://127.0.0.1") as c:
        yield c


def test_health_and_docs(client):
    assert client.get("/health").json() == {"status": "ok", "bar": "1m", "auth": False}
    assert "swagger" in client.get("/docs").text.lower()
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/health", "/signals", "/positions", "/orders", "/orders/preview"} <= set(paths)


def _docs_assets(html: str) -> list[str]:
    import re

    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)


def test_docs_work_offline_from_the_packaged_swagger_ui(client):
    html = client.get("/docs").text
    assert "http://" not in html and "https://" not in html                 # no CDN, nothing remote at all
    assets = _docs_assets(html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    for asset in assets:
        r = client.get(asset)
        assert r.status_code == 200 and len(r.content) > 500, asset
    assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    assert client.get("/docs/assets/index.html").status_code == 404         # only the listed files
    assert client.get("/docs/assets/..%2F..%2F__init__.py").status_code == 404


def test_signals_shape_and_cached_per_bar(client, source, clock):
    r = client.get("/signals")
    assert r.status_code == 200
    signals = r.json()
    assert signals and all(tuple(s) == SIGNAL_KEYS for s in signals)
    assert all(s["decision"] == "BUY" for s in signals)
    assert [s["confidence"] for s in signals] == sorted((s["confidence"] for s in signals), reverse=True)
    assert set(signals[0]["predictions"]) == {"1m", "5m", "30m", "1h", "6h", "1d"}
    assert set(signals[0]["predictions"]["1m"]) == {"price", "return"}
    assert r.headers["X-Signals-Bar"] == "2024-01-02T15:00:00+00:00"
    clock.advance(30)  # same bar: served from the cache
    assert client.get("/signals").json() == signals and len(source.calls) == 1
    clock.advance(15)  # next bar: computed again, as of that bar
    assert client.get("/signals").headers["X-Signals-Bar"] == "2024-01-02T15:01:00+00:00"
    assert [t.isoformat() for t in source.calls] == ["2024-01-02T15:00:00+00:00", "2024-01-02T15:01:00+00:00"]


def test_post_order_sends_one_paper_bracket_and_refuses_the_repeat(client, fake, journal):
    top = client.get("/signals").json()[0]
    preview = client.get("/orders/preview", params={"symbol": top["symbol"]}).json()
    assert preview["take_profit"] > top["price"] > preview["stop_loss"] > 0
    assert preview["qty"] == int(1000 // top["price"])
    r = client.post("/orders", json={"symbol": top["symbol"]}, headers=CSRF)
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["client_order_id"] == preview["client_order_id"]
    assert order["state"] == "SUBMITTED" and order["broker_order_id"]
    sent = [o for o in fake.orders if o["client_order_id"] == order["client_order_id"]]
    assert len(sent) == 1 and sent[0]["order_class"] == "bracket"
    legs = {float(leg.get("limit_price") or leg.get("stop_price")) for leg in sent[0]["legs"]}
    assert legs == {preview["take_profit"], preview["stop_loss"]}
    again = client.post("/orders", json={"symbol": top["symbol"]}, headers=CSRF)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "duplicate"
    assert fake.post_count(order["client_order_id"]) == 1
    assert journal.order(order["client_order_id"]).intent.take_profit == preview["take_profit"]
    assert [o["client_order_id"] for o in client.get("/orders").json()] == [order["client_order_id"]]


def test_order_state_follows_the_broker(client, fake):
    top = client.get("/signals").json()[0]
    cid = client.post("/orders", json={"symbol": top["symbol"]}, headers=CSRF).json()["client_order_id"]
    p = top["price"]
    fake.push_bar(top["symbol"], "2024-01-02T15:01:00Z", p, p * 1.0005, p * 0.9995, p, 1000.0)
    state = client.get(f"/orders/{cid}").json()
    assert state["state"] == "FILLED" and state["filled_avg_price"] == pytest.approx(p)
    pos = client.get("/positions").json()
    assert [x["symbol"] for x in pos["positions"]] == [top["symbol"]]
    assert pos["account"]["market_open"] is True
    assert client.get("/orders/nope").status_code == 404


def test_refused_when_market_closed(client, fake):
    fake.set_market_open(False)
    top = client.get("/signals").json()[0]
    r = client.post("/orders", json={"symbol": top["symbol"]}, headers=CSRF)
    assert r.status_code == 409 and r.json()["detail"]["code"] == "market_closed"
    assert not fake.orders


def test_refused_by_the_risk_gate_and_journaled(client, fake, journal, risk, clock):
    top = client.get("/signals").json()[0]
    r = client.post("/orders", json={"symbol": top["symbol"], "qty": 1000}, headers=CSRF)  # > 25 % of equity
    assert r.status_code == 409 and r.json()["detail"]["code"] == "risk"
    assert "max_position_pct" in r.json()["detail"]["message"]
    assert not fake.orders
    row = journal.orders()[0]
    assert str(row.state.value if hasattr(row.state, "value") else row.state) == "REFUSED"
    risk.rules.update(100_000.0, clock())
    risk.rules.update(70_000.0, clock())  # -30 %: the kill switch trips and persists
    risk.save()
    second = client.get("/signals").json()[1]["symbol"]
    r = client.post("/orders", json={"symbol": second}, headers=CSRF)
    assert r.status_code == 409 and r.json()["detail"]["code"] == "risk" and not fake.orders


def test_unknown_symbol_stale_bar_and_bad_body(client, clock):
    assert client.post("/orders", json={"symbol": "ZZZ"}, headers=CSRF).status_code == 404
    top = client.get("/signals").json()[0]["symbol"]
    old = "2024-01-02T14:59:00Z"
    r = client.post("/orders", json={"symbol": top, "bar_time": old}, headers=CSRF)
    assert r.status_code == 409 and r.json()["detail"]["code"] == "stale"
    assert client.post("/orders", json={"symbol": top, "qty": 0}, headers=CSRF).status_code == 422
    assert client.post("/orders", json={"symbol": top, "side": "sell"}, headers=CSRF).status_code == 422


def test_post_without_csrf_header_is_refused_and_sends_nothing(client, fake):
    top = client.get("/signals").json()[0]["symbol"]
    assert client.post("/orders", json={"symbol": top}).status_code == 403
    assert not fake.orders


def test_open_server_accepts_only_local_hosts(client):
    assert client.get("/health", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/health", headers={"Host": "localhost:8000"}).status_code == 200


def test_token_protects_every_route_but_health(make_app, fake):
    from fastapi.testclient import TestClient

    with TestClient(make_app(token=TOKEN), base_url="http://127.0.0.1") as c:
        assert c.get("/health").json()["auth"] is True
        for path in ("/signals", "/positions", "/orders", "/docs", "/openapi.json", "/static/app.js",
                     "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
            assert c.get(path).status_code == 401, path
            assert c.get(path, headers={"Authorization": "Bearer wrong-token-0000000000"}).status_code == 401
            assert c.get(path, headers=AUTH).status_code == 200, path
        assert c.post("/orders", json={"symbol": "AAA"}, headers=CSRF).status_code == 401
        assert "API token" in c.get("/").text and "Top signals" not in c.get("/").text
        assert c.post("/login", json={"token": "wrong"}, headers=CSRF).status_code == 401
        r = c.post("/login", json={"token": TOKEN}, headers=CSRF)
        assert r.status_code == 200 and TOKEN not in r.headers["set-cookie"]
        assert "Top signals" in c.get("/").text and c.get("/signals").status_code == 200
        assert all(c.get(a).status_code == 200 for a in _docs_assets(c.get("/docs").text))  # cookie: assets
        assert c.post("/orders", json={"symbol": "ZZZ"}).status_code == 403  # cookie needs the header
        assert TOKEN not in c.get("/openapi.json", headers=AUTH).text
    assert not fake.orders


def test_bad_signal_source_is_a_clear_503(make_app):
    from fastapi.testclient import TestClient

    with TestClient(make_app(signal_source=lambda t: [{"symbol": "X"}]), base_url="http://127.0.0.1") as c:
        r = c.get("/signals")
        assert r.status_code == 503 and "missing keys" in r.json()["detail"]["message"]


def test_ambiguous_post_is_resolved_by_lookup_never_sent_twice(client, fake):
    top = client.get("/signals").json()[0]["symbol"]
    fake.fault_rest(path="/v2/orders", method="POST", kind="500_after_accept", count=1)
    r = client.post("/orders", json={"symbol": top}, headers=CSRF)
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "SUBMITTED" and r.json()["broker_order_id"]
    assert fake.post_count(r.json()["client_order_id"]) == 1


def test_repeat_is_refused_after_a_restart(make_app, fake):
    from fastapi.testclient import TestClient

    with TestClient(make_app(), base_url="http://127.0.0.1") as c:
        top = c.get("/signals").json()[0]["symbol"]
        cid = c.post("/orders", json={"symbol": top}, headers=CSRF).json()["client_order_id"]
    with TestClient(make_app(), base_url="http://127.0.0.1") as c:  # a new server on the same journal
        r = c.post("/orders", json={"symbol": top}, headers=CSRF)
        assert r.status_code == 409 and r.json()["detail"]["order"]["client_order_id"] == cid
    assert fake.post_count(cid) == 1
