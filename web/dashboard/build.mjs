// Builds the dashboard into dist/ (gitignored), which the API serves at / (src/ais/api/app.py):
// dist/index.html and dist/assets/main.{js,css} (uPlot and the boundaries bundled in; no CDN).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const started = Date.now();
rmSync("dist", { recursive: true, force: true });
mkdirSync("dist/assets", { recursive: true });
await build({
  entryPoints: { main: "src/main.js" },
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome110", "firefox110", "safari16"],
  outdir: "dist/assets",
  loader: { ".json": "json" },
  legalComments: "linked",
  logLevel: "warning",
});
copyFileSync("src/index.html", "dist/index.html");
console.log(`dashboard built into dist/ in ${Date.now() - started} ms`);
