// Opens the dashboard in headless Chromium (Debian's, never a downloaded browser) and prints what
// it found as one JSON object on stdout; tests/integration/test_dashboard_browser.py asserts on it.
//
//   node test/browse.mjs <base url> <screenshot dir>      (CHROMIUM: the executable, default /usr/bin/chromium)
//
// Every request the page makes is recorded (route interception); one to a host other than the
// loopback is aborted and reported. Console errors and page errors are reported.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
  console.error("usage: node test/browse.mjs <base url> <screenshot dir>");
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const requests = [];
const blocked = [];
const consoleErrors = [];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
});

async function open(viewport, name, extra = {}) {
  const context = await browser.newContext({ viewport, ...extra });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    requests.push(url);
    const host = new URL(url).hostname;
    if (!LOOPBACK.has(host) && !LOOPBACK.has(`[${host}]`) && !url.startsWith("data:")) {
      blocked.push(url);
      return route.abort();
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(`${name}: ${msg.text()}`); });
  page.on("pageerror", (err) => consoleErrors.push(`${name}: ${err.message}`));
  await page.goto(`${base}/`, { waitUntil: "load" });
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  return { context, page };
}

// what the page shows: data-* counts, the chart object's own series, the cards' text
const read = (page) => page.evaluate(() => {
  const q = (s) => document.querySelector(s);
  const chart = window.aisDashboard.chart;
  const series = chart ? chart.data.slice(1).map((s) => s.filter((v) => v !== null && v !== undefined).length) : null;
  const cards = {};
  for (const card of document.querySelectorAll(".card[id]")) {
    cards[card.dataset.horizon] = { pm25: card.dataset.pm25, aqi: card.dataset.aqi, category: card.dataset.category,
      value: card.querySelector(".pm25").textContent, badge: card.querySelector(".badge").textContent,
      advice: card.querySelector(".advice").textContent, colour: getComputedStyle(card).borderTopColor };
  }
  const states = {};
  for (const id of ["cards", "chart", "skill", "map", "health"]) states[id] = q(`#${id}`).dataset.state || null;
  return {
    states, cards,
    chart: { ...q("#chart").dataset, series, canvas: !!q("#chart canvas"), from: window.aisDashboard.bodies.observations.from },
    skill_rows: Number(q("#skill").dataset.rows),
    map: { ...q("#map").dataset, circles: document.querySelectorAll("#map svg.city circle.station").length,
      paths: document.querySelectorAll("#map svg.region polyline.traj").length, provinces: document.querySelectorAll("#map svg.region path.prov").length,
      credit: q(".credit").textContent },
    health: { ...q("#health").dataset, job_rows: document.querySelectorAll("#health-jobs tbody tr").length,
      model_rows: document.querySelectorAll("#health-models tbody tr").length,
      source_rows: document.querySelectorAll("#health-sources tbody tr").length },
    width: { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth },
  };
});

const started = Date.now();
const out = {};
const desktop = await open({ width: 1280, height: 900 }, "desktop");
out.desktop = await read(desktop.page);
await desktop.page.screenshot({ path: join(shots, "dashboard.png"), fullPage: true });
await desktop.page.evaluate(() => { document.body.dataset.ready = "0"; });
await desktop.page.click('.seg button[data-days="30"]');
await desktop.page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
out.desktop30 = await read(desktop.page);
await desktop.context.close();

const phone = await open({ width: 390, height: 844 }, "phone", { isMobile: true, hasTouch: true, deviceScaleFactor: 1 });
out.phone = await read(phone.page);
await phone.page.screenshot({ path: join(shots, "dashboard-390.png"), fullPage: true });
await phone.context.close();
await browser.close();

out.requests = requests;
out.blocked = blocked;
out.console_errors = consoleErrors;
out.seconds = (Date.now() - started) / 1000;
process.stdout.write(JSON.stringify(out) + "\n");
