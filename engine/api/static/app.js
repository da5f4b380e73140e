// tradeforge signals page: renders GET /signals, /positions and /orders; "Execute trade" previews the
// bracket order, asks for confirmation, POSTs it and follows its state until the broker settles it.
"use strict";

const HORIZONS = ["1m", "5m", "30m", "1h", "6h", "1d"];
const MINUTES = {"1m": 1, "5m": 5, "30m": 30, "1h": 60, "6h": 360, "1d": 1440};
const FINAL = new Set(["FILLED", "CANCELED", "REJECTED", "EXPIRED", "REFUSED"]);
const state = {bar: null, orders: {}, polling: {}, refusals: {}};

const $ = (id) => document.getElementById(id);
const money = (x) => x == null ? "–" : x.toLocaleString("en-US", {style: "currency", currency: "USD"});
const pct = (x, digits = 2) => (x >= 0 ? "+" : "") + (100 * x).toFixed(digits) + " %";
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;",
  '"': "&quot;", "'": "&#39;"}[c]));

async function api(path, options = {}) {
  const headers = Object.assign({"X-Requested-With": "tradeforge"}, options.headers || {});
  if (options.body) headers["Content-Type"] = "application/json";
  const r = await fetch(path, Object.assign({credentials: "same-origin"}, options, {headers}));
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) {
    const d = body && body.detail;
    const message = d ? (typeof d === "string" ? d : d.message || JSON.stringify(d)) : r.statusText;
    const err = new Error(message); err.status = r.status; err.detail = d; throw err;
  }
  return {body, headers: r.headers};
}

function toast(text, kind) {
  const t = $("toast");
  t.textContent = text; t.className = "toast toast-" + (kind || "info"); t.hidden = false;
  clearTimeout(toast.timer); toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
}

function sparkline(sig) {
  // predicted price path: now, then each horizon's predicted price, x on a log-time axis
  const pts = [[0, sig.price]];
  for (const h of HORIZONS) {
    const p = sig.predictions[h];
    if (p) pts.push([Math.log10(1 + MINUTES[h]), p.price]);
  }
  const w = 140, h = 36, pad = 3;
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs) || 1;
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
  const sx = (x) => pad + (w - 2 * pad) * (x - x0) / (x1 - x0);
  const sy = (y) => h - pad - (h - 2 * pad) * (y - y0) / (y1 - y0);
  const line = pts.map((p) => sx(p[0]).toFixed(1) + "," + sy(p[1]).toFixed(1)).join(" ");
  const area = `${sx(x0).toFixed(1)},${h} ${line} ${sx(x1).toFixed(1)},${h}`;
  const up = ys[ys.length - 1] >= sig.price;
  const cls = up ? "up" : "down";
  const title = pts.slice(1).map((p, i) => `${HORIZONS[i]}: ${p[1].toFixed(2)}`).join("  ");
  const base = sy(sig.price).toFixed(1);
  return `<svg class="spark ${cls}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img"
    aria-label="predicted path ${esc(title)}"><title>${esc(title)}</title>
    <line x1="${pad}" x2="${w - pad}" y1="${base}" y2="${base}" class="base"/>
    <polygon points="${area}" class="area"/><polyline points="${line}" class="line"/>
    <circle cx="${sx(x1).toFixed(1)}" cy="${sy(ys[ys.length - 1]).toFixed(1)}" r="2.5" class="dot"/></svg>`;
}

function riskBadge(r) {
  const cls = r <= 3 ? "low" : r <= 5 ? "mid" : "high";
  return `<span class="risk risk-${cls}">${Number(r).toFixed(1)}</span>`;
}

function stateChip(s) {
  const cls = {FILLED: "ok", SUBMITTED: "info", PARTIALLY_FILLED: "info", NEW: "info", UNKNOWN: "warn",
    REFUSED: "bad", REJECTED: "bad", CANCELED: "muted", EXPIRED: "muted"}[s] || "info";
  return `<span class="chip chip-${cls}">${esc(s.replace("_", " ").toLowerCase())}</span>`;
}

function renderSignals(signals) {
  const rows = $("rows");
  if (!signals.length) {
    rows.innerHTML = `<tr><td colspan="9" class="empty">No BUY signal passes the filters on this bar.</td></tr>`;
    return;
  }
  rows.innerHTML = signals.map((s, i) => `
    <tr data-symbol="${esc(s.symbol)}">
      <td class="num muted">${i + 1}</td>
      <td><div class="sym">${esc(s.symbol)}</div><div class="muted small">momentum ${s.momentum_score.toFixed(0)}</div></td>
      <td class="num mono">${s.price.toFixed(2)}</td>
      <td><div class="conf"><div class="conf-bar"><span style="width:${(100 * s.confidence).toFixed(1)}%"></span></div>
          <span class="mono">${(100 * s.confidence).toFixed(1)} %</span></div></td>
      <td class="num mono ${s.expected_return >= 0 ? "pos" : "neg"}">${pct(s.expected_return)}</td>
      <td class="num">${riskBadge(s.risk_score)}</td>
      <td>${esc(s.time_horizon)}</td>
      <td>${sparkline(s)}</td>
      <td class="act"><button class="btn btn-primary btn-sm execute" data-symbol="${esc(s.symbol)}">Execute trade</button>
          <div class="order-state" data-state-for="${esc(s.symbol)}"></div></td>
    </tr>`).join("");
  for (const b of rows.querySelectorAll("button.execute")) b.addEventListener("click", () => execute(b.dataset.symbol));
  for (const [symbol, r] of Object.entries(state.refusals)) if (r.bar === state.bar) showRefusal(symbol, r);
  for (const o of Object.values(state.orders)) showRowState(o);
}

function showRefusal(symbol, refusal) {
  const cell = document.querySelector(`[data-state-for="${CSS.escape(symbol)}"]`);
  if (cell) cell.innerHTML = stateChip(refusal.state) + ` <span class="muted small refusal">${esc(refusal.message)}</span>`;
}

function showRowState(order) {
  const cell = document.querySelector(`[data-state-for="${CSS.escape(order.symbol)}"]`);
  if (!cell || !order.bar_time || Date.parse(order.bar_time) !== Date.parse(state.bar)) return;
  cell.innerHTML = stateChip(order.state) + (order.filled_avg_price ? ` <span class="muted small">@ ${order.filled_avg_price.toFixed(2)}</span>` : "");
  const btn = cell.parentElement.querySelector("button.execute");
  if (btn) { btn.disabled = true; btn.textContent = order.state === "REFUSED" ? "Refused" : "Sent"; }
}

function renderOrders(orders) {
  state.orders = {};
  for (const o of orders) if (!(o.client_order_id in state.orders)) state.orders[o.client_order_id] = o;
  $("orders").innerHTML = orders.length ? orders.slice(0, 12).map((o) => `
    <tr data-cid="${esc(o.client_order_id)}" title="${esc(o.reason || o.client_order_id)}"><td class="sym">${esc(o.symbol)}</td>
    <td class="num mono">${o.qty}</td><td class="num mono">${o.take_profit ? o.take_profit.toFixed(2) : "–"}</td>
    <td class="num mono">${o.stop_loss ? o.stop_loss.toFixed(2) : "–"}</td><td>${stateChip(o.state)}</td></tr>`).join("")
    : `<tr><td colspan="5" class="empty">No orders yet</td></tr>`;
  for (const o of orders) { showRowState(o); if (!FINAL.has(o.state)) follow(o.client_order_id); }
}

function renderPositions(p) {
  const a = p.account;
  $("equity").textContent = money(a.equity); $("cash").textContent = money(a.cash);
  $("buying").textContent = money(a.buying_power); $("npos").textContent = p.positions.length;
  const m = $("market");
  m.textContent = a.market_open ? "market open" : "market closed";
  m.className = "pill " + (a.market_open ? "pill-ok" : "pill-muted");
  $("positions").innerHTML = p.positions.length ? p.positions.map((x) => `<tr><td class="sym">${esc(x.symbol)}</td>
    <td class="num mono">${x.qty}</td><td class="num mono">${x.avg_entry_price.toFixed(2)}</td></tr>`).join("")
    : `<tr><td colspan="3" class="empty">No positions</td></tr>`;
}

async function refresh() {
  try {
    const s = await api("/signals");
    state.bar = s.headers.get("X-Signals-Bar");
    $("bar").textContent = "bar " + new Date(state.bar).toISOString().replace("T", " ").slice(0, 16) + " UTC";
    renderSignals(s.body);
    $("error").hidden = true;
  } catch (e) {
    $("error").textContent = "Signals unavailable: " + e.message; $("error").hidden = false;
    $("rows").innerHTML = `<tr><td colspan="9" class="empty">–</td></tr>`;
  }
  try { renderPositions((await api("/positions")).body); } catch (e) { toast("Positions: " + e.message, "bad"); }
  try { renderOrders((await api("/orders")).body); } catch (e) { toast("Orders: " + e.message, "bad"); }
}

function confirmOrder(plan) {
  $("c-symbol").textContent = plan.symbol;
  $("c-qty").textContent = `BUY ${plan.qty}`;
  $("c-price").textContent = plan.price.toFixed(2);
  $("c-tp").textContent = `${plan.take_profit.toFixed(2)} (${pct(plan.take_profit / plan.price - 1)})`;
  $("c-sl").textContent = `${plan.stop_loss.toFixed(2)} (${pct(plan.stop_loss / plan.price - 1)})`;
  $("c-cid").textContent = plan.client_order_id;
  const dlg = $("confirm");
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), {once: true});
    dlg.returnValue = ""; dlg.showModal();
  });
}

async function execute(symbol) {
  let plan;
  try { plan = (await api("/orders/preview?symbol=" + encodeURIComponent(symbol))).body; }
  catch (e) { toast(e.message, "bad"); return; }
  if (!(await confirmOrder(plan))) { toast(`${symbol}: not sent`, "info"); return; }
  try {
    const r = await api("/orders", {method: "POST", body: JSON.stringify({symbol, qty: plan.qty, bar_time: state.bar})});
    toast(`${symbol}: order ${r.body.state.toLowerCase()}`, "ok");
    state.orders[r.body.client_order_id] = r.body;
    follow(r.body.client_order_id);
  } catch (e) {
    toast(e.message, "bad");
    const code = e.detail && e.detail.code;
    state.refusals[symbol] = {bar: state.bar, message: e.message,
      state: ["risk", "market_closed", "duplicate", "stale", "account_blocked"].includes(code) ? "REFUSED" : "REJECTED"};
    showRefusal(symbol, state.refusals[symbol]);
  }
  await refresh();
}

async function follow(cid) {
  if (state.polling[cid]) return;
  state.polling[cid] = true;
  try {
    for (let i = 0; i < 60; i++) {
      const o = (await api("/orders/" + encodeURIComponent(cid))).body;
      state.orders[cid] = o; showRowState(o);
      const row = document.querySelector(`#orders tr[data-cid="${CSS.escape(cid)}"] td:last-child`);
      if (row) row.innerHTML = stateChip(o.state);
      if (FINAL.has(o.state)) { delete state.polling[cid]; await refresh(); return; }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } catch (e) { /* the next refresh shows the state */ }
  delete state.polling[cid];
}

refresh();
setInterval(refresh, 15000);
