#!/usr/bin/env node
// Real-browser check of the docs UIs served by trellis-openapi's `docs_router`.
//
//   node tests/browser/docs.mjs http://127.0.0.1:8001
//
// The target is `cargo run -p trellis-openapi --example docs_demo -- 8001` (see `.ci/run`):
// a sample OpenAPI document with three operations (GET /items, POST /items,
// GET /items/{id}), an oauth2 implicit flow whose authorization endpoint is a stand-in of
// the demo, and the pages at /docs and /redoc.
//
// Debian's Chromium (`/usr/bin/chromium`, or $CHROMIUM) runs headless with every request
// to a host other than the target's (127.0.0.1) aborted, so the pages must render from
// what the app serves. Checked:
//   - Swagger UI lists the operations (`.opblock`), "Try it out" calls GET /items, and the
//     OAuth2 login through the popup and `/docs/oauth2-redirect` leaves Swagger UI holding
//     the token;
//   - ReDoc lists the operations (their headings);
//   - no uncaught page error, no failed same-origin response, no request to another host
//     except the ones listed in ALLOWED_EXTERNAL (decorative, with an offline fallback).
// Screenshots go to $SCREENSHOT_DIR or a new temporary directory (printed).
// Exit status: 0 when everything holds, 1 otherwise (with the reasons), 2 on bad usage.

import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const TIMEOUT_MS = 30_000;
const OPERATIONS = [
  { id: "listItems", method: "get", path: "/items", summary: "List the items" },
  { id: "createItem", method: "post", path: "/items", summary: "Create an item" },
  { id: "getItem", method: "get", path: "/items/{id}", summary: "Get one item" },
];
// Requests to other hosts that are tolerated (still aborted): ReDoc's "API docs by
// Redocly" footer logo, hidden by ReDoc when it fails to load.
const ALLOWED_EXTERNAL = ["https://cdn.redoc.ly/redoc/logo-mini.svg"];

const base = process.argv[2];
if (!base || process.argv.length > 3) {
  console.error("usage: node docs.mjs BASE_URL   (e.g. http://127.0.0.1:8001)");
  process.exit(2);
}
let origin;
try {
  origin = new URL(base);
} catch {
  console.error(`docs.mjs: not a URL: ${base}`);
  process.exit(2);
}
if (origin.hostname !== "127.0.0.1") {
  console.error(`docs.mjs: the target must be on 127.0.0.1 (the only host not blocked), got ${base}`);
  process.exit(2);
}
const baseUrl = base.replace(/\/+$/, "");

const shotDir = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), "trellis-docs-"));
mkdirSync(shotDir, { recursive: true });

const failures = [];
const notes = [];
const fail = (msg) => {
  failures.push(msg);
  console.error(`  FAIL ${msg}`);
};
const ok = (msg) => console.log(`  ok   ${msg}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
  ],
});
console.log(`browser: Chromium ${browser.version()}; target ${baseUrl}; screenshots in ${shotDir}`);

const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
context.setDefaultTimeout(TIMEOUT_MS);

// Every request to another host is aborted (popups included: the route is the context's).
const external = [];
await context.route("**/*", (route) => {
  const url = new URL(route.request().url());
  if (url.hostname === "127.0.0.1") return route.continue();
  external.push(url.href);
  return route.abort("internetdisconnected");
});

// Per-page problems: uncaught errors, failed same-origin responses.
function watch(page, label) {
  page.on("pageerror", (err) => fail(`${label}: uncaught page error: ${err.message}`));
  page.on("response", (resp) => {
    const url = new URL(resp.url());
    if (url.hostname === "127.0.0.1" && resp.status() >= 400) {
      fail(`${label}: ${resp.status()} for ${url.pathname}${url.search}`);
    }
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") notes.push(`${label}: console error: ${msg.text()}`);
  });
  page.on("popup", (popup) => watch(popup, `${label} (popup)`));
}

async function shot(page, name) {
  const file = join(shotDir, name);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  shot ${file}`);
}

// Run one step; on failure, record it with a screenshot of the page as it was.
async function step(page, name, fn) {
  try {
    await fn();
  } catch (err) {
    fail(`${name}: ${String(err.message || err).split("\n")[0]}`);
    await shot(page, `FAILED-${name.replace(/[^a-z0-9]+/gi, "-")}.png`).catch(() => {});
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- Swagger UI
console.log(`Swagger UI: ${baseUrl}/docs`);
{
  const page = await context.newPage();
  watch(page, "swagger");
  const listed = await step(page, "swagger-operations", async () => {
    const resp = await page.goto(`${baseUrl}/docs`);
    if (!resp || resp.status() !== 200) throw new Error(`/docs answered ${resp && resp.status()}`);
    try {
      await page.waitForFunction(
        (n) => document.querySelectorAll(".opblock").length >= n,
        OPERATIONS.length,
        { timeout: TIMEOUT_MS },
      );
    } catch {
      const error = await page.locator(".errors-wrapper, .loading-container").allInnerTexts();
      throw new Error(`the operations never appeared${error.length ? `: ${error.join(" ").trim()}` : ""}`);
    }
    for (const op of OPERATIONS) {
      const block = page.locator(`#operations-items-${op.id}`);
      if ((await block.count()) !== 1) throw new Error(`operation ${op.id} is not listed`);
      const path = (await block.locator(".opblock-summary-path").innerText()).replace(/\u200b/g, "");
      if (path !== op.path) throw new Error(`operation ${op.id} shows path ${path}, expected ${op.path}`);
    }
    const title = await page.locator(".info .title").innerText();
    if (!title.includes("Docs demo")) throw new Error(`info title is ${JSON.stringify(title)}`);
    ok(`${OPERATIONS.length} operations listed (${OPERATIONS.map((o) => o.id).join(", ")})`);
    await shot(page, "swagger-ui.png");
  });

  if (listed) {
    await step(page, "swagger-try-it-out", async () => {
      const op = page.locator("#operations-items-listItems");
      await op.locator(".opblock-summary-control").click();
      await op.locator("button.try-out__btn").click();
      await op.locator("button.execute").click();
      const status = op.locator(".live-responses-table tr.response .response-col_status").first();
      await status.waitFor();
      const code = (await status.innerText()).trim();
      if (code !== "200") throw new Error(`GET /items from "Try it out" answered ${code}`);
      const body = await op.locator(".live-responses-table tr.response .response-col_description").first().innerText();
      if (!body.includes("teapot")) throw new Error(`unexpected body: ${body.slice(0, 200)}`);
      ok(`"Try it out" on GET /items: 200 with the items`);
      await shot(page, "swagger-ui-try-it-out.png");
    });

    await step(page, "swagger-oauth2", async () => {
      await page.locator(".auth-wrapper button.authorize").click();
      const modal = page.locator(".modal-ux");
      await modal.waitFor();
      await modal.locator("#client_id_implicit").fill("docs-demo");
      await modal.getByText("select all").click();
      const popup = page.waitForEvent("popup");
      await modal.locator(".auth-btn-wrapper button.authorize").click();
      const win = await popup;
      // The popup goes to the stand-in authorization endpoint, which redirects to the
      // redirect page; that page hands the token to Swagger UI and closes itself.
      await win.waitForEvent("close", { timeout: TIMEOUT_MS });
      await page.waitForFunction(
        () => {
          const auth = window.ui.authSelectors.authorized();
          return auth && auth.getIn(["oauth2", "token", "access_token"]) === "demo-token";
        },
        null,
        { timeout: TIMEOUT_MS },
      );
      await modal.getByRole("button", { name: "Remove authorization" }).waitFor();
      ok("OAuth2 (implicit) through /docs/oauth2-redirect: Swagger UI holds the token");
      await shot(page, "swagger-ui-oauth2.png");
    });
  }
  await page.close();
}

// ---------------------------------------------------------------- ReDoc
console.log(`ReDoc: ${baseUrl}/redoc`);
{
  const page = await context.newPage();
  watch(page, "redoc");
  await step(page, "redoc-operations", async () => {
    const resp = await page.goto(`${baseUrl}/redoc`);
    if (!resp || resp.status() !== 200) throw new Error(`/redoc answered ${resp && resp.status()}`);
    try {
      await page.waitForFunction(
        (ids) => ids.every((id) => document.querySelector(`[data-section-id="operation/${id}"] h2`)),
        OPERATIONS.map((o) => o.id),
        { timeout: TIMEOUT_MS },
      );
    } catch {
      const text = (await page.locator("body").innerText()).trim().slice(0, 300);
      throw new Error(`the operations never appeared; the page shows: ${JSON.stringify(text)}`);
    }
    for (const op of OPERATIONS) {
      const heading = await page.locator(`[data-section-id="operation/${op.id}"] h2`).first().innerText();
      if (heading.trim() !== op.summary) {
        throw new Error(`operation ${op.id} heading is ${JSON.stringify(heading)}, expected ${op.summary}`);
      }
    }
    const title = await page.locator("h1").first().innerText();
    if (!title.includes("Docs demo")) throw new Error(`title is ${JSON.stringify(title)}`);
    ok(`${OPERATIONS.length} operation headings (${OPERATIONS.map((o) => o.summary).join(", ")})`);
    await shot(page, "redoc.png");
  });
  await page.close();
}

await browser.close();

const unexpected = external.filter((u) => !ALLOWED_EXTERNAL.includes(u));
for (const u of new Set(external)) {
  if (ALLOWED_EXTERNAL.includes(u)) notes.push(`aborted request to another host (tolerated): ${u}`);
}
for (const u of new Set(unexpected)) fail(`request to another host (aborted): ${u}`);
for (const n of notes) console.log(`  note ${n}`);

if (failures.length) {
  console.error(`\ndocs UI browser check FAILED (${failures.length}); screenshots in ${shotDir}`);
  process.exit(1);
}
console.log(`\ndocs UI browser check passed; screenshots in ${shotDir}`);
