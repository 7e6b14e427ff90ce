// The demo's own API in its docs UIs, in Debian's Chromium with every request to another
// host aborted: /docs (Swagger UI) and /redoc (ReDoc) must list every operation of the
// demo's /openapi.json. Screenshots go to $SCREENSHOT_DIR (or a temp dir).
//
// usage: node demo-docs.mjs BASE_URL   (e.g. http://127.0.0.1:8000)
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TIMEOUT_MS = 30_000;
const ALLOWED_EXTERNAL = ["https://cdn.redoc.ly/redoc/logo-mini.svg"];

const base = (process.argv[2] || "").replace(/\/+$/, "");
if (!base || new URL(base).hostname !== "127.0.0.1") {
  console.error("usage: node demo-docs.mjs http://127.0.0.1:PORT");
  process.exit(2);
}
const shotDir = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), "trellis-demo-docs-"));
mkdirSync(shotDir, { recursive: true });

const doc = await (await fetch(`${base}/openapi.json`)).json();
const operations = [];
for (const [path, item] of Object.entries(doc.paths || {})) {
  for (const [method, op] of Object.entries(item)) operations.push({ path, method, summary: op.summary });
}
if (operations.length === 0) {
  console.error("demo-docs: the document lists no operations");
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
context.setDefaultTimeout(TIMEOUT_MS);
const external = [];
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (url.hostname === "127.0.0.1") return route.continue();
  external.push(url.href);
  return route.abort("internetdisconnected");
});

const failures = [];
try {
  const page = await context.newPage();
  page.on("pageerror", (err) => failures.push(`swagger: page error: ${err.message}`));
  await page.goto(`${base}/docs`);
  await page.waitForFunction((n) => document.querySelectorAll(".opblock").length >= n, operations.length);
  await page.screenshot({ path: join(shotDir, "demo-swagger.png"), fullPage: true });
  console.log(`  ok   Swagger UI lists ${operations.length} operations`);
} catch (err) {
  failures.push(`swagger: ${String(err.message || err).split("\n")[0]}`);
}
try {
  const page = await context.newPage();
  page.on("pageerror", (err) => failures.push(`redoc: page error: ${err.message}`));
  await page.goto(`${base}/redoc`);
  const summaries = [...new Set(operations.map((o) => o.summary).filter(Boolean))];
  await page.waitForFunction((all) => all.every((s) => document.body.innerText.includes(s)), summaries);
  await page.waitForFunction((n) => document.querySelectorAll("[data-section-id^='operation/'], [id^='operation/']").length >= n, operations.length);
  await page.screenshot({ path: join(shotDir, "demo-redoc.png"), fullPage: true });
  console.log(`  ok   ReDoc shows ${operations.length} operations`);
} catch (err) {
  failures.push(`redoc: ${String(err.message || err).split("\n")[0]}`);
}
await browser.close();
for (const u of new Set(external.filter((u) => !ALLOWED_EXTERNAL.includes(u)))) failures.push(`request to another host: ${u}`);
if (failures.length) {
  console.error(`demo docs browser check FAILED:\n  ${failures.join("\n  ")}\nscreenshots in ${shotDir}`);
  process.exit(1);
}
console.log(`demo docs browser check passed; screenshots in ${shotDir}`);
