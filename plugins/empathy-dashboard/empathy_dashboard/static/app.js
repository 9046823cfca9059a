// The Empathy dashboard page: every figure comes from the JSON endpoints under /api/.
// Text from the stores is only ever set with textContent (never parsed as HTML).
"use strict";

const TOKEN = document.querySelector('meta[name="empathy-token"]').content;
const COLORS = ["#3558d8", "#e07a1f", "#1f8f4e", "#c23b3b", "#7b49c9", "#1b9aaa", "#b7791f", "#6b7385"];
const state = { page: "costs", charts: {}, selectedRun: null, events: [] };
window.dashboard = state;

// -- helpers ------------------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = { "X-Empathy-Token": TOKEN, ...(options.headers || {}) };
  const response = await fetch(path, { ...options, headers, credentials: "same-origin" });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const money = (v) => (Math.abs(v) >= 100 ? "$" + v.toFixed(2) : Math.abs(v) >= 1 ? "$" + v.toFixed(3) : "$" + v.toFixed(6));
const pct = (v) => v.toFixed(1) + "%";
const count = (v) => v.toLocaleString("en");
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");
const ago = (iso) => {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  return s < 60 ? s + " s ago" : s < 3600 ? Math.round(s / 60) + " min ago" : Math.round(s / 3600) + " h ago";
};

function table(columns, rows, onClick) {
  if (!rows.length) return el("p", { class: "empty", text: "Nothing recorded yet." });
  const head = el("tr", {}, ...columns.map((c) => el("th", { class: c.num ? "num" : "", text: c.title })));
  const body = rows.map((row) => {
    const tr = el("tr", onClick ? { class: "clickable", onclick: () => onClick(row, tr) } : {});
    for (const c of columns) {
      const value = c.value(row);
      tr.append(el("td", { class: c.num ? "num" : "" }, value instanceof Node ? value : String(value ?? "")));
    }
    return tr;
  });
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
}

const pill = (text) => el("span", { class: "pill " + String(text).replace(/[^a-z_]/gi, "_"), text });

function replace(id, ...nodes) {
  const target = document.getElementById(id);
  target.replaceChildren(...nodes);
  return target;
}

// A horizontal bar chart in SVG: rows of {label, value, text, [compare, compareText]}.
function bars(rows, { compareLabel } = {}) {
  if (!rows.length) return el("p", { class: "empty", text: "Nothing recorded yet." });
  const width = 560, labelW = 150, textW = 170, rowH = compareLabel ? 40 : 26;
  const max = Math.max(...rows.map((r) => Math.max(r.value, r.compare || 0)), 1e-12);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${rows.length * rowH + 6}`, role: "img" });
  rows.forEach((r, i) => {
    const y = i * rowH + 4, span = width - labelW - textW;
    const g = svg("g", { class: "bar", "data-name": r.label, "data-value": String(r.value) });
    g.append(svg("text", { x: 0, y: y + 13 }, r.label));
    g.append(svg("rect", { x: labelW, y, width: Math.max(1, (span * r.value) / max), height: 16, rx: 3, fill: COLORS[i % COLORS.length] }));
    g.append(svg("text", { x: width - textW + 8, y: y + 13, class: "value" }, r.text));
    if (compareLabel) {
      g.append(svg("rect", { x: labelW, y: y + 19, width: Math.max(1, (span * (r.compare || 0)) / max), height: 8, rx: 2, fill: "#c9cfdc" }));
      g.append(svg("text", { x: width - textW + 8, y: y + 28, class: "muted" }, `${compareLabel} ${r.compareText}`));
    }
    chart.append(g);
  });
  return el("div", { class: "bars" }, chart);
}

// -- costs --------------------------------------------------------------------------------

function kpi(label, value, sub) {
  return el("div", { class: "kpi" }, el("div", { class: "label", text: label }), el("div", { class: "value", text: value }), el("div", { class: "sub", text: sub || "" }));
}

async function loadCosts() {
  const days = document.getElementById("days").value;
  const by = document.getElementById("by").value;
  const [summary, series, runs] = await Promise.all([
    api(`/api/summary?days=${days}`),
    api(`/api/timeseries?days=${days}&by=${by}`),
    api(`/api/runs?days=${days}&sort=cost&limit=10`),
  ]);
  const s = summary.stats, c = summary.cache;
  replace("kpis",
    kpi("Cost", money(s.total_cost), `${count(s.total_calls)} calls`),
    kpi("Success", pct(s.success_rate), `${count(s.failed_calls)} failed`),
    kpi("Saved vs all-PREMIUM", money(s.savings), `${pct(s.savings_percent)} of ${money(s.baseline_cost)}`),
    kpi("Cache hit rate", pct(100 * c.hit_rate), `${count(c.hits)} hits`),
    kpi("Cache savings", money(c.savings), `${count(c.cache_read_tokens)} tokens read`),
    kpi("Avg per call", money(s.avg_cost_per_call), `${Math.round(s.avg_duration_ms)} ms avg`));
  drawSeries(series);
  document.querySelectorAll(".by-name").forEach((n) => (n.textContent = by));
  const groups = s["by_" + by];
  replace("cost-bars", bars(Object.entries(groups).sort((a, b) => b[1].cost - a[1].cost)
    .map(([name, g]) => ({ label: name, value: g.cost, text: `${money(g.cost)} · ${count(g.calls)} calls` }))));
  replace("tier-bars", bars(summary.tier_savings.map((t) => ({
    label: t.tier, value: t.cost, text: `${money(t.cost)} (saved ${pct(t.savings_percent)})`,
    compare: t.baseline_cost, compareText: money(t.baseline_cost),
  })), { compareLabel: "on PREMIUM" }));
  replace("cache", table([
    { title: "workflow", value: (r) => r[0] },
    { title: "calls", num: true, value: (r) => count(r[1].calls) },
    { title: "hit rate", num: true, value: (r) => pct(100 * r[1].hit_rate) },
    { title: "tokens read", num: true, value: (r) => count(r[1].cache_read_tokens) },
    { title: "saved", num: true, value: (r) => money(r[1].savings) },
  ], Object.entries(c.by_workflow)));
  replace("expensive", table([
    { title: "run", value: (r) => r.run_id.slice(0, 12) },
    { title: "workflow", value: (r) => r.workflow },
    { title: "status", value: (r) => pill(r.status) },
    { title: "calls", num: true, value: (r) => count(r.calls) },
    { title: "cost", num: true, value: (r) => money(r.cost) },
  ], runs.runs, (r) => { location.hash = "#runs"; showRun(r.run_id); }));
}

function drawSeries(data) {
  const target = document.getElementById("cost-chart");
  state.series = data;
  if (state.charts.cost) state.charts.cost.destroy();
  target.replaceChildren();
  if (!data.series.length) {
    target.append(el("p", { class: "empty", text: "No calls recorded in this period." }));
    state.charts.cost = null;
    return;
  }
  const top = data.series.slice(0, COLORS.length);
  const opts = {
    width: Math.max(400, target.clientWidth || 900), height: 300,
    series: [{ value: (u, v) => (v == null ? "" : new Date(v * 1000).toLocaleString()) },
      ...top.map((s, i) => ({ label: s.name, stroke: COLORS[i], width: 2, value: (u, v) => (v == null ? "" : money(v)) }))],
    axes: [{}, { values: (u, vals) => vals.map((v) => "$" + v.toPrecision(2)), size: 70 }],
    scales: { x: { time: true } },
  };
  state.charts.cost = new uPlot(opts, [data.times, ...top.map((s) => s.cost)], target);
}

// -- agents and events --------------------------------------------------------------------

function renderAgents(data) {
  replace("agents", table([
    { title: "agent", value: (a) => a.agent_id },
    { title: "status", value: (a) => pill(a.stale ? "stale" : a.status) },
    { title: "progress", value: (a) => el("span", { class: "progress", title: pct(100 * a.progress) }, el("div", { style: `width:${Math.round(100 * a.progress)}%` })) },
    { title: "stage", value: (a) => a.current_stage || "" },
    { title: "last beat", value: (a) => ago(a.last_beat) },
    { title: "started", value: (a) => when(a.started_at) },
  ], data.agents));
}

function eventLine(e) {
  const summary = Object.entries(e.data).slice(0, 6).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
  return el("li", {}, el("span", { class: "time", text: new Date(e.timestamp).toLocaleTimeString() }), el("span", { class: "type", text: e.event_type }), summary);
}

function renderEvents() {
  replace("events", ...(state.events.length ? state.events.map(eventLine) : [el("li", { class: "empty", text: "No events yet." })]));
}

// -- approvals ----------------------------------------------------------------------------

function renderApprovals(data) {
  const badge = document.getElementById("approval-count");
  badge.hidden = !data.approvals.length;
  badge.textContent = data.approvals.length;
  const shown = data.approvals.map((r) => r.request_id).join(" ");
  if (shown === state.approvalsShown) return;  // same requests: keep what is being typed
  state.approvalsShown = shown;
  if (!data.approvals.length) return replace("approvals", el("p", { class: "empty", text: "No approval requests are waiting." }));
  replace("approvals", ...data.approvals.map((r) => {
    const reason = el("input", { placeholder: "reason (required to reject)", maxlength: "1000", "aria-label": "reason" });
    const answer = (decision) => respond(r.request_id, decision, reason.value);
    return el("div", { class: "approval", "data-request": r.request_id },
      el("h3", { text: r.approval_type }),
      el("div", { text: `agent ${r.agent_id} · asked ${ago(r.requested_at)} · times out ${when(r.deadline)}` }),
      el("pre", { text: JSON.stringify(r.context, null, 2) }),
      el("div", { class: "actions" }, reason,
        el("button", { class: "approve", text: "Approve", onclick: () => answer("approve") }),
        el("button", { class: "reject", text: "Reject", onclick: () => answer("reject") })));
  }));
}

async function respond(requestId, decision, reason) {
  const responder = document.getElementById("responder").value.trim() || "dashboard";
  localStorage.setItem("empathy-responder", responder);
  const result = document.getElementById("approval-result");
  try {
    const body = await api(`/api/approvals/${encodeURIComponent(requestId)}`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ decision, reason, responder }),
    });
    result.textContent = `${body.approved ? "Approved" : "Rejected"} ${requestId} as ${body.responder}.`;
  } catch (err) {
    result.textContent = `Not answered: ${err.message}`;
  }
  renderApprovals(await api("/api/approvals"));
}

// -- routing and runs ---------------------------------------------------------------------

async function loadRouting() {
  const data = await api("/api/routing");
  if (!data.available) return replace("routing", el("p", { class: "empty", text: `Routing advice is unavailable: ${data.reason}.` }));
  replace("routing", table([
    { title: "workflow", value: (r) => r.workflow },
    { title: "stage", value: (r) => r.stage },
    { title: "advice", value: (r) => pill(r.action) },
    { title: "why", value: (r) => r.reason },
    { title: "best model", value: (r) => `${r.best_model} (${r.best_tier})` },
    { title: "confidence", num: true, value: (r) => pct(100 * r.confidence) },
  ], data.stages));
}

async function loadRuns() {
  const data = await api("/api/runs?sort=recent&limit=25");
  replace("runs", table([
    { title: "run", value: (r) => r.run_id.slice(0, 12) },
    { title: "workflow", value: (r) => r.workflow },
    { title: "status", value: (r) => pill(r.status) },
    { title: "last call", value: (r) => when(r.last) },
    { title: "calls", num: true, value: (r) => count(r.calls) },
    { title: "cost", num: true, value: (r) => money(r.cost) },
  ], data.runs, (r) => showRun(r.run_id)));
  if (!state.selectedRun && data.runs.length) showRun(data.runs[0].run_id);
}

async function showRun(runId) {
  state.selectedRun = runId;
  const data = await api(`/api/runs/${encodeURIComponent(runId)}`);
  const nodes = [el("p", { text: `run ${runId}` })];
  if (data.run) {
    const r = data.run;
    nodes.push(el("p", {}, `${r.workflow} · `, pill(r.status), ` · ${count(r.calls)} calls · ${money(r.cost)} · ${when(r.first)} to ${when(r.last)}`));
    nodes.push(table([
      { title: "stage", value: (s) => s.stage },
      { title: "tier", value: (s) => s.tier },
      { title: "model", value: (s) => s.model },
      { title: "calls", num: true, value: (s) => count(s.calls) },
      { title: "tokens in/out", num: true, value: (s) => `${count(s.input_tokens)} / ${count(s.output_tokens)}` },
      { title: "cost", num: true, value: (s) => money(s.cost) },
    ], data.run.stages));
  }
  const stored = data.checkpoints || {};
  if (stored.run) {
    const c = stored.run;
    nodes.push(el("h2", { text: "Checkpoints" }));
    nodes.push(el("p", {}, "stored ", pill(c.status), ` · attempt ${count(c.attempts)}${c.owner ? ` · worker ${c.owner}` : ""} · updated ${when(c.updated_at)}`));
    nodes.push(table([
      { title: "#", num: true, value: (s) => count(s.sequence + 1) },
      { title: "stage", value: (s) => s.stage },
      { title: "model", value: (s) => s.model || "-" },
      { title: "tokens in/out", num: true, value: (s) => `${count(s.tokens_in)} / ${count(s.tokens_out)}` },
      { title: "cost", num: true, value: (s) => money(s.cost) },
      { title: "finished", value: (s) => when(s.finished_at) },
    ], stored.stages));
  }
  if (data.events.length) nodes.push(el("h2", { text: "Events" }), el("ol", { class: "events" }, ...data.events.map(eventLine)));
  replace("run-detail", ...nodes);
}

// -- pages and live updates ---------------------------------------------------------------

const loaders = {
  costs: loadCosts,
  agents: async () => { renderAgents(await api("/api/agents")); state.events = (await api("/api/events?count=100")).events; renderEvents(); },
  approvals: async () => renderApprovals(await api("/api/approvals")),
  routing: loadRouting,
  runs: loadRuns,
};

function show() {
  const page = (location.hash || "#costs").slice(1);
  state.page = loaders[page] ? page : "costs";
  document.querySelectorAll(".page").forEach((p) => (p.hidden = p.id !== "page-" + state.page));
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.page === state.page));
  const page_ = state.page;
  return loaders[page_]()
    .then(() => { if (state.page === page_) state.loaded = page_; })  // a slower earlier page never wins
    .catch((err) => console.error(err));
}

let refresh = null;
function later(fn) { clearTimeout(refresh); refresh = setTimeout(fn, 500); }

function connect() {
  const live = document.getElementById("live");
  const source = new EventSource("/api/stream");
  source.onopen = () => { live.textContent = "live"; live.classList.remove("off"); };
  source.onerror = () => { live.textContent = "reconnecting"; live.classList.add("off"); };
  source.addEventListener("agents", (m) => { if (state.page === "agents") renderAgents(JSON.parse(m.data)); });
  source.addEventListener("approvals", (m) => renderApprovals(JSON.parse(m.data)));
  source.addEventListener("event", (m) => {
    state.events.unshift(JSON.parse(m.data));
    state.events.length = Math.min(state.events.length, 200);
    if (state.page === "agents") renderEvents();
  });
  source.addEventListener("telemetry", () => { if (state.page === "costs" || state.page === "runs") later(() => loaders[state.page]()); });
}

if (new URLSearchParams(location.search).has("token")) history.replaceState(null, "", location.pathname + location.hash);
document.getElementById("responder").value = localStorage.getItem("empathy-responder") || "dashboard";
document.getElementById("days").addEventListener("change", loadCosts);
document.getElementById("by").addEventListener("change", loadCosts);
window.addEventListener("hashchange", show);
state.ready = show().then(() => api("/api/approvals").then(renderApprovals));
connect();
