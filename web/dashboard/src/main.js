// The AIS dashboard: reads the API of the process that serves it (same origin, no other host)
// and draws the forecast cards, the PM2.5 chart, the skill table, the map and the health panel.
// Each part exposes what it drew for the browser test: data-* counts on its element and
// window.aisDashboard (the uPlot chart and the bodies it was drawn from).
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./style.css";
import provinces from "./data/north-vietnam-adm1.json";

const API = "api/v1";
const TZ = "Asia/Ho_Chi_Minh";
const HORIZONS = [6, 12, 24];
const SERIES_COLOURS = { obs: "#1f2937", 6: "#2563eb", 12: "#d97706", 24: "#db2777" };
const CLUSTER_COLOURS = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#65a30d", "#be185d"];
const state = { days: 7, forecast: null, chart: null, bodies: {} };
window.aisDashboard = state;

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "style") node.style.cssText = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
};
const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? "–" : Number(v).toFixed(digits));
const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(0)} %`);
const timeFmt = new Intl.DateTimeFormat("en-GB", { timeZone: TZ, day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", hour12: false });
const when = (iso) => (iso ? timeFmt.format(new Date(iso)) : "–");
const label = (cat) => (cat || "").replaceAll("_", " ");

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = body && body.message ? body.message : response.statusText;
    const error = new Error(`${path}: ${response.status} ${reason}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

// A part that fails shows its reason in place; the others still draw. A 404 of the latest
// forecast (no production forecast yet) is a state, not a failure.
async function part(name, target, draw) {
  try {
    await draw();
    target.dataset.state = "ok";
  } catch (error) {
    target.dataset.state = "error";
    target.replaceChildren(el("p", { class: "fail" }, `${name} unavailable: ${error.message}`));
  }
}

// ---- forecast cards --------------------------------------------------------------------------

function drawCards(f) {
  const cards = $("#cards");
  const base = new Date(f.base_hour);
  const now = el("article", { class: "card now", "data-horizon": "now" },
    el("h3", {}, "Now"), el("div", { class: "value" }, fmt(f.pm25_now), el("span", { class: "unit" }, f.unit)),
    el("p", { class: "when" }, `base hour ${when(f.base_hour)}`));
  const items = HORIZONS.map((h) => {
    const e = f.forecast[`${h}h`];
    const target = new Date(base.getTime() + h * 3600e3).toISOString();
    const aqi = e.aqi || {};
    return el("article", { class: "card", id: `card-${h}h`, "data-horizon": String(h), "data-pm25": String(e.pm25),
      "data-aqi": String(aqi.index ?? ""), "data-category": aqi.category || e.vn_aqi, style: `--aqi:${aqi.colour || "#999"}` },
    el("h3", {}, `+${h} h`, el("span", { class: "when" }, ` · ${when(target)}`)),
    el("div", { class: "value" }, el("span", { class: "pm25" }, fmt(e.pm25)), el("span", { class: "unit" }, e.unit)),
    el("div", { class: "aqi" }, el("span", { class: "badge" }, `VN_AQI ${aqi.index ?? "–"}`),
      el("span", { class: "cat" }, label(aqi.category || e.vn_aqi))),
    el("p", { class: "advice" }, aqi.advice || ""));
  });
  cards.replaceChildren(now, ...items);
  const stale = f.stale ? el("span", { class: "stale" }, "stale") : null;
  $("#asof").replaceChildren(`forecast made ${when(f.created_at)} · ${f.age_minutes ?? "?"} min ago `, stale || "");
}

// ---- chart ---------------------------------------------------------------------------------------

async function historyFrom(fromIso) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ from: fromIso, limit: "1000" });
    if (cursor) q.set("cursor", cursor);
    const page = await getJson(`${API}/hanoi/pm25/forecast/history?${q}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

function chartWidth() {
  return Math.max(280, $("#chart").clientWidth);
}

async function drawChart() {
  const days = state.days;
  const f = state.forecast;
  const end = f ? new Date(new Date(f.base_hour).getTime() + 3600e3) : null;
  const q = new URLSearchParams();
  if (end) {
    q.set("from", new Date(end.getTime() - days * 86400e3).toISOString());
    q.set("to", end.toISOString());
  }
  const obs = await getJson(`${API}/hanoi/pm25/observations?${q}`);
  const history = await historyFrom(obs.from);
  state.bodies.observations = obs;
  state.bodies.history = history;

  const hours = new Map(); // epoch seconds -> [obs, f6, f12, f24]
  const row = (iso) => {
    const t = Date.parse(iso) / 1e3;
    if (!hours.has(t)) hours.set(t, [null, null, null, null]);
    return hours.get(t);
  };
  for (const it of obs.items) if (it.pm25 !== null) row(it.hour)[0] = it.pm25;
  for (const it of history) {
    const i = HORIZONS.indexOf(it.horizon_hour);
    if (i >= 0 && it.pm25 !== null) {
      const r = row(it.target_hour);
      if (r[i + 1] === null) r[i + 1] = it.pm25; // newest first: the newest forecast of that hour wins
    }
  }
  const xs = [...hours.keys()].sort((a, b) => a - b);
  const data = [xs, ...[0, 1, 2, 3].map((i) => xs.map((t) => hours.get(t)[i]))];
  const counts = data.slice(1).map((s) => s.filter((v) => v !== null).length);
  const box = $("#chart");
  box.dataset.windowDays = String(days);
  box.dataset.observedPoints = String(counts[0]);
  HORIZONS.forEach((h, i) => { box.dataset[`forecast${h}hPoints`] = String(counts[i + 1]); });
  box.dataset.forecastItems = String(history.length);

  const opts = {
    width: chartWidth(),
    height: 300,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), TZ),
    scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(50, Math.ceil((hi || 0) * 1.1 / 10) * 10)] } },
    axes: [{}, { label: `PM2.5 (${obs.unit})`, size: 56 }],
    legend: { live: false },
    series: [
      {},
      { label: "observed", stroke: SERIES_COLOURS.obs, width: 1.5, spanGaps: false, points: { show: false } },
      ...HORIZONS.map((h) => ({ label: `forecast +${h} h`, stroke: SERIES_COLOURS[h], width: 0, spanGaps: false,
        points: { show: true, size: 7, fill: SERIES_COLOURS[h] } })),
    ],
  };
  if (state.chart) state.chart.destroy();
  box.replaceChildren();
  state.chart = new uPlot(opts, data, box);
  const scored = history.filter((it) => it.pm25_observed !== null).length;
  $("#chart-note").textContent = `${counts[0]} observed hours (coverage ${pct(obs.coverage)}), ` +
    `${history.length} forecasts in the archive for this window, ${scored} of them scored against the observation.`;
}

// ---- skill ---------------------------------------------------------------------------------------

async function drawSkill() {
  const skill = await getJson(`${API}/hanoi/pm25/forecast/skill?window_days=${state.days}`);
  state.bodies.skill = skill;
  const table = $("#skill");
  $("#skill-window").textContent = `last ${skill.window_days} days`;
  const head = el("tr", {}, ...["Lead", "Forecasts", "Scored", "MAE", "RMSE", "Bias", "Skill", "Hit rate", "In 80 %"].map((t) => el("th", {}, t)));
  const rows = skill.items.map((it) => el("tr", { "data-horizon": String(it.horizon_hour) },
    el("td", {}, `+${it.horizon_hour} h`), el("td", {}, String(it.forecasts ?? "–")), el("td", {}, String(it.scored ?? "–")),
    el("td", {}, fmt(it.mae)), el("td", {}, fmt(it.rmse)), el("td", {}, fmt(it.bias)),
    el("td", {}, fmt(it.skill_vs_persistence, 2)), el("td", {}, pct(it.vn_aqi_hit_rate)),
    el("td", {}, pct(it.coverage_80))));
  const empty = rows.length ? [] : [el("tr", {}, el("td", { colSpan: 9, class: "empty" }, "no scored forecasts in this window yet"))];
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows, ...empty));
  table.dataset.rows = String(rows.length);
}

// ---- map -------------------------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
};

// An equirectangular frame (true to scale at its middle latitude) around [x0, x1, y0, y1],
// widened so that height <= width / minAspect.
function frame([x0, x1, y0, y1], W, minAspect) {
  const k = Math.cos(((y0 + y1) / 2) * Math.PI / 180);
  let w = (x1 - x0) * k;
  const h = y1 - y0;
  if (w < h * minAspect) {
    const grow = (h * minAspect - w) / k / 2;
    [x0, x1] = [x0 - grow, x1 + grow];
    w = (x1 - x0) * k;
  }
  const scale = W / w;
  return { W, H: Math.round(h * scale), X: (lon) => ((lon - x0) * k * scale).toFixed(1), Y: (lat) => ((y1 - lat) * scale).toFixed(1) };
}

function bounds(points, padFraction, padMin) {
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const pad = Math.max(x1 - x0, y1 - y0) * padFraction + padMin;
  return [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
}

function coords(geometry) {
  const pts = [];
  const visit = (c) => { if (typeof c[0] === "number") pts.push(c); else c.forEach(visit); };
  visit(geometry.coordinates);
  return pts;
}

function baseMap(f, label) {
  const root = svg("svg", { viewBox: `0 0 ${f.W} ${f.H}`, role: "img", "aria-label": label });
  root.append(svg("rect", { x: 0, y: 0, width: f.W, height: f.H, class: "outside" }));
  for (const p of provinces.features) {
    const d = p.geometry.coordinates.map((poly) => poly.map((ring) => `M${ring.map(([lon, lat]) => `${f.X(lon)},${f.Y(lat)}`).join("L")}Z`).join("")).join("");
    const path = svg("path", { d, class: p.properties.iso === "VN-HN" ? "prov hanoi" : "prov" });
    path.append(svg("title"));
    path.firstChild.textContent = p.properties.name;
    root.append(path);
  }
  return root;
}

function stationDots(root, f, m) {
  for (const s of m.stations) {
    const c = svg("circle", { cx: f.X(s.lon), cy: f.Y(s.lat), r: 7, class: "station", fill: s.aqi ? s.aqi.colour : "#9ca3af" });
    c.append(svg("title"));
    c.firstChild.textContent = `${s.name || s.location_id}: ${s.pm25 === null ? "no recent value" : `${fmt(s.pm25)} ${m.unit} at ${when(s.hour)}`}`;
    root.append(c);
  }
}

function drawMap(m) {
  const box = $("#map");
  const hanoi = provinces.features.find((p) => p.properties.iso === "VN-HN");
  const clusterColour = (c) => (c === null ? "#6b7280" : CLUSTER_COLOURS[c % CLUSTER_COLOURS.length]);
  // the region: northern Vietnam and every path
  const regionPts = provinces.features.flatMap((p) => coords(p.geometry));
  for (const t of m.trajectories) regionPts.push(...t.path);
  const rf = frame(bounds(regionPts, 0.02, 0.05), 600, 1.0);
  const region = baseMap(rf, "Northern Vietnam with the back-trajectories of the last day");
  region.classList.add("region");
  for (const t of m.trajectories) {
    if (t.path.length < 2) continue;
    region.append(svg("polyline", { points: t.path.map(([lon, lat]) => `${rf.X(lon)},${rf.Y(lat)}`).join(" "),
      class: `traj${t.latest ? " latest" : ""}`, stroke: clusterColour(t.cluster_id), "data-cluster": String(t.cluster_id) }));
  }
  if (m.attribution && m.attribution.source_lat !== null && m.attribution.source_lon !== null) {
    const [cx, cy] = [Number(rf.X(m.attribution.source_lon)), Number(rf.Y(m.attribution.source_lat))];
    region.append(svg("path", { d: `M${cx},${cy - 10}L${cx + 9},${cy + 7}L${cx - 9},${cy + 7}Z`, class: "source" }));
  }
  if (hanoi) {
    const hb = bounds(coords(hanoi.geometry), 0, 0);
    region.append(svg("rect", { x: rf.X(hb[0]), y: rf.Y(hb[3]), width: (rf.X(hb[1]) - rf.X(hb[0])).toFixed(1),
      height: (rf.Y(hb[2]) - rf.Y(hb[3])).toFixed(1), class: "inset-box" }));
  }
  // Hanoi: the province and its stations
  const cityPts = hanoi ? coords(hanoi.geometry) : [];
  for (const s of m.stations) cityPts.push([s.lon, s.lat]);
  const cf = frame(bounds(cityPts, 0.03, 0.01), 400, 0.8);
  const city = baseMap(cf, "Hanoi and its monitoring stations");
  city.classList.add("city");
  for (const t of m.trajectories.filter((t) => t.latest)) {
    city.append(svg("polyline", { points: t.path.map(([lon, lat]) => `${cf.X(lon)},${cf.Y(lat)}`).join(" "),
      class: "traj latest", stroke: clusterColour(t.cluster_id) }));
  }
  stationDots(city, cf, m);
  box.replaceChildren(
    el("figure", {}, region, el("figcaption", {}, "Northern Vietnam: back-trajectories started in the last day, by cluster")),
    el("figure", {}, city, el("figcaption", {}, `Hanoi: ${m.stations.length} stations, newest PM2.5 in VN_AQI colours`)));
  box.dataset.stations = String(m.stations.length);
  box.dataset.trajectories = String(m.trajectories.length);
  const legend = $("#map-legend");
  legend.replaceChildren(
    ...m.clusters.map((c) => el("span", { class: "key" }, el("i", { style: `background:${clusterColour(c.cluster_id)}` }),
      `cluster ${c.cluster_id} (${c.trajectories})${c.dominant ? " · dominant" : ""}`)),
    el("span", { class: "key" }, el("i", { class: "thick" }), "latest run"),
    el("span", { class: "key" }, el("i", { class: "tri" }), "mean source"),
    el("span", { class: "key" }, el("i", { class: "dot" }), "station"));
  const a = m.attribution;
  $("#attribution").textContent = a
    ? `Latest run ${when(m.run_start)} (features of ${when(a.hour)}): ${a.n_traj ?? 0} path(s), dominant cluster ${a.dominant_cluster ?? "–"}, ` +
      `mean source ${fmt(a.source_lat, 2)}° N ${fmt(a.source_lon, 2)}° E; along the paths NO₂ ${a.path_no2_mean === null ? "–" : a.path_no2_mean.toExponential(2)} mol/m², ` +
      `aerosol index ${fmt(a.path_aer_mean, 2)}.`
    : "No trajectory hour yet.";
}

// ---- health ----------------------------------------------------------------------------------------

function table(headers, rows, attrs = {}) {
  return el("div", { class: "scroll" }, el("table", { class: "grid", ...attrs },
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", {}, c)))))));
}

function lagCell(lag) {
  if (lag === null || lag === undefined) return el("span", { class: "lag none" }, "–");
  const cls = lag <= 3 ? "ok" : lag <= 24 ? "warn" : "bad";
  return el("span", { class: `lag ${cls}` }, `${fmt(lag, 1)} h`);
}

function drawHealth(h) {
  const box = $("#health");
  $("#health-asof").textContent = `as of ${when(h.generated_at)}`;
  const stat = (n, t, cls = "") => el("div", { class: `stat ${cls}` }, el("b", {}, String(n)), el("span", {}, t));
  const counters = el("div", { class: "stats" },
    stat(h.dead_letters, "dead letters", h.dead_letters ? "warn" : ""),
    stat(h.invalid_events, "invalid events", h.invalid_events ? "warn" : ""),
    stat(h.late_events, "late events"),
    ...h.runs.map((r) => stat(Object.entries(r.by_status).map(([s, n]) => `${n} ${s}`).join(", ") || "–",
      `last ${r.kind} runs ${r.latest ? when(r.latest) : ""}`, r.by_status.failed ? "bad" : "")));
  const sources = table(["Source", "Newest data", "Behind forecast", "Rows"],
    h.sources.map((s) => [s.source, when(s.newest), lagCell(s.lag_hours), String(s.rows ?? "–")]), { id: "health-sources" });
  const models = table(["Lead", "Model", "Type", "MAE", "RMSE", "Skill", "Promoted"],
    h.models.map((m) => [`+${m.horizon_hour} h`, el("code", {}, m.model_version), m.model_type || "–", fmt(m.mae), fmt(m.rmse),
      fmt(m.skill_vs_persistence, 2), when(m.promoted_at)]), { id: "health-models" });
  const jobs = table(["Job", "Table", "Last commit", "Rows added", "Status"],
    h.jobs.map((j) => [j.job, j.table, when(j.last_commit_at), String(j.added_rows ?? "–"),
      el("span", { class: `status ${j.status}` }, j.status)]), { id: "health-jobs" });
  const reasons = h.invalid_by_reason.length
    ? table(["Topic", "Reason", "Count"], h.invalid_by_reason.map((r) => [r.source_topic || "–", r.reason || "–", String(r.count)]))
    : el("p", { class: "note" }, "No invalid events or dead letters.");
  const tables = el("details", {}, el("summary", {}, `Every table (${h.tables.length})`),
    table(["Table", "Rows", "Newest", "Behind forecast", "Committed"],
      h.tables.map((t) => [t.table, String(t.rows ?? "–"), when(t.newest), lagCell(t.lag_hours), when(t.committed_at)]), { id: "health-tables" }));
  box.replaceChildren(counters,
    el("div", { class: "two" }, el("div", {}, el("h3", {}, "Sources"), sources), el("div", {}, el("h3", {}, "Production models"), models)),
    el("h3", {}, "Invalid events and dead letters"), reasons,
    el("h3", {}, "Last commit of each job"), jobs, tables);
  box.dataset.jobs = String(h.jobs.length);
  box.dataset.models = String(h.models.length);
}

// ---- wiring ----------------------------------------------------------------------------------------

async function drawWindowParts() {
  await Promise.all([part("Chart", $("#chart"), drawChart), part("Skill", $("#skill"), drawSkill)]);
}

async function main() {
  await part("Forecast", $("#cards"), async () => {
    try {
      state.forecast = await getJson(`${API}/hanoi/pm25/forecast/latest`);
    } catch (error) {
      if (error.status === 404) {
        $("#cards").replaceChildren(el("p", { class: "note" }, "No production forecast yet."));
        $("#asof").textContent = "no forecast yet";
        return;
      }
      throw error;
    }
    state.bodies.forecast = state.forecast;
    drawCards(state.forecast);
  });
  await Promise.all([
    drawWindowParts(),
    part("Map", $("#map"), async () => { state.bodies.map = await getJson(`${API}/hanoi/map/latest`); drawMap(state.bodies.map); }),
    part("Health", $("#health"), async () => { state.bodies.health = await getJson(`${API}/pipeline/health`); drawHealth(state.bodies.health); }),
  ]);
  document.body.dataset.ready = "1";
}

for (const button of document.querySelectorAll(".seg button")) {
  button.addEventListener("click", async () => {
    state.days = Number(button.dataset.days);
    for (const b of document.querySelectorAll(".seg button")) b.classList.toggle("on", b === button);
    document.body.dataset.ready = "0";
    await drawWindowParts();
    document.body.dataset.ready = "1";
  });
}
let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (state.chart) state.chart.setSize({ width: chartWidth(), height: 300 }); }, 100);
});
main();
