// Checks pages written by `compel report` in the system Chromium, driven by
// playwright-core (no browser download: `--chromium` names the binary).
//
//   node check.mjs --chromium /usr/bin/chromium --page PAGE.html --expect EXPECT.json
//       [--screenshots DIR --name NAME] [--pdf FILE.pdf]
//   node check.mjs --chromium /usr/bin/chromium --page PAGE.html --screenshots DIR [--name NAME]
//   node check.mjs --chromium /usr/bin/chromium --page PAGE.html --bench REPS
//
// Checks, for each page:
// - at 1280 px and 390 px wide: no element reaches past the viewport (with
//   every <details> closed, then open), and every initiative, KPI and
//   obligation of EXPECT.json is rendered (visible text, `innerText`) with
//   its status words, each KPI as the element EXPECT.json names (a card,
//   <article>, for a KPI not met; a row, <tr>, of the table of KPIs met);
// - axe-core (run under the page's strict CSP thanks to `bypassCSP`): no
//   serious or critical violation, at both widths, details closed and open;
// - print (A4 landscape, print media emulated at the printable width): the
//   print stylesheet applies (`@page` A4 landscape, cards kept whole by
//   `break-inside: avoid` and each shorter than a page), nothing is wider
//   than the page or clipped, and printing to PDF gives A4 landscape pages.
//
// `--screenshots DIR` also writes NAME-laptop.png, NAME-phone.png and
// NAME-print.png. `--bench REPS` prints the median load-to-screenshot time
// (JSON) instead of checking.
//
// Prints one line per check; exits 1 when any fails, 2 on a usage error.

import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// A4 landscape less the page's 10 mm margins, in CSS pixels (96 per inch).
const MM = 96 / 25.4;
const PRINT_WIDTH = Math.floor((297 - 20) * MM);
const PRINT_HEIGHT = Math.floor((210 - 20) * MM);
const WIDTHS = [1280, 390];

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--") || argv[i + 1] === undefined) {
      console.error(`usage: unexpected \`${argv[i]}\` (see the comment at the top of check.mjs)`);
      process.exit(2);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const needed of ["chromium", "page"]) {
    if (!out[needed]) {
      console.error(`usage: --${needed} is required`);
      process.exit(2);
    }
  }
  return out;
}

let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${!ok && detail ? `: ${detail}` : ""}`);
  if (!ok) failures += 1;
}

// Elements whose box reaches past `width` (inside the page's own layout).
async function overflow(page, width) {
  return page.evaluate((width) => {
    const wide = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > width) wide.push(`the document scrolls to ${doc.scrollWidth}px`);
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (r.right > width + 0.5 || r.left < -0.5) {
        const id = el.id ? `#${el.id}` : el.className ? `.${String(el.className).split(" ")[0]}` : "";
        wide.push(`<${el.tagName.toLowerCase()}${id}> spans ${Math.round(r.left)}..${Math.round(r.right)}px`);
      }
    }
    return wide;
  }, width);
}

// Content cut off by an element that does not show its overflow.
async function clipped(page) {
  return page.evaluate(() => {
    const cut = [];
    for (const el of document.body.querySelectorAll("*")) {
      const s = getComputedStyle(el);
      if (s.overflowX === "visible" && s.overflowY === "visible") continue;
      if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
        cut.push(`<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}> ${el.scrollWidth}x${el.scrollHeight} in ${el.clientWidth}x${el.clientHeight}`);
      }
    }
    return cut;
  });
}

async function setDetails(page, open) {
  await page.evaluate((open) => {
    for (const d of document.querySelectorAll("details")) d.open = open;
  }, open);
}

// The expected facts missing from the rendered text.
// With `open` false (every <details> closed) the obligations that hold are
// not looked for: they are listed inside a <details>.
async function missing(page, expect, open) {
  return page.evaluate(([expect, open]) => {
    const text = (el) => (el ? el.innerText.replace(/\s+/g, " ") : "");
    const lacks = [];
    const need = (what, el, words) => {
      if (!el) return lacks.push(`${what}: not on the page`);
      const t = text(el);
      for (const w of words) if (!t.includes(w)) lacks.push(`${what}: no \`${w}\` in \`${t.slice(0, 160)}\``);
    };
    for (const i of expect.initiatives) {
      need(`initiative ${i.name}`, document.getElementById(`card-${i.name}`), i.words);
    }
    for (const k of expect.kpis) {
      const el = document.getElementById(`kpi-${k.name}`);
      need(`kpi ${k.name}`, el, k.words);
      // A card (<article>) for a KPI not met, a table row (<tr>) for one met.
      if (el && k.element && el.tagName !== k.element) lacks.push(`kpi ${k.name}: a <${el.tagName.toLowerCase()}>, not a <${k.element.toLowerCase()}>`);
    }
    const rows = [...document.querySelectorAll("#obligations ~ details tr")];
    for (const p of expect.policies) {
      if (open) {
        const row = rows.find((r) => r.cells.length === 3 && text(r.cells[0]) === p.name && text(r.cells[1]).endsWith(` ${p.subject}`));
        need(`obligation ${p.name} on ${p.subject}`, row, [p.outcome]);
      }
      if (p.violated) {
        const cards = [...document.querySelectorAll(".obligation")].filter((a) => text(a.querySelector("h3")) === `${p.name} on ${p.subject}`);
        need(`violated obligation ${p.name} on ${p.subject}`, cards[0], [p.outcome]);
      }
    }
    return lacks;
  }, [expect, open]);
}

async function axe(page) {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

async function screen(browser, url, width, height, expect) {
  const context = await browser.newContext({ viewport: { width, height }, bypassCSP: true });
  const page = await context.newPage();
  const external = [];
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) external.push(r.url());
  });
  await page.goto(url, { waitUntil: "load" });
  check(external.length === 0, `${width}px: the page makes no request`, external.join(", "));
  for (const open of [false, true]) {
    await setDetails(page, open);
    const state = open ? "details open" : "details closed";
    const wide = await overflow(page, width);
    check(wide.length === 0, `${width}px, ${state}: no element wider than the viewport`, wide.slice(0, 5).join("; "));
    const lacks = await missing(page, expect, open);
    check(lacks.length === 0, `${width}px, ${state}: every initiative, KPI and obligation shown with its status`, lacks.slice(0, 5).join("; "));
    const violations = await axe(page);
    check(violations.length === 0, `${width}px, ${state}: axe-core finds no serious or critical violation`, violations.join("; "));
  }
  await setDetails(page, false);
  return { context, page };
}

async function print(browser, url, pdfPath) {
  const context = await browser.newContext({ viewport: { width: PRINT_WIDTH, height: PRINT_HEIGHT } });
  const page = await context.newPage();
  await page.goto(url, { waitUntil: "load" });
  await page.emulateMedia({ media: "print" });
  const pageRule = await page.evaluate(() => {
    for (const sheet of document.styleSheets) {
      for (const rule of sheet.cssRules) if (rule instanceof CSSPageRule) return rule.style.getPropertyValue("size");
    }
    return "";
  });
  check(pageRule.toLowerCase() === "a4 landscape", "print: @page is A4 landscape", `@page size \`${pageRule}\``);
  const split = await page.evaluate((pageHeight) => {
    const bad = [];
    for (const el of document.querySelectorAll(".card, .kpi, .program, .obligation, details")) {
      const s = getComputedStyle(el);
      const h = el.getBoundingClientRect().height;
      const name = `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}>`;
      if (s.breakInside !== "avoid" && s.breakInside !== "avoid-page") bad.push(`${name} break-inside ${s.breakInside}`);
      if (el.tagName !== "DETAILS" && h > pageHeight) bad.push(`${name} is ${Math.round(h)}px, taller than a page`);
    }
    return bad;
  }, PRINT_HEIGHT);
  check(split.length === 0, "print: no card can be split across pages", split.slice(0, 5).join("; "));
  const wide = await overflow(page, PRINT_WIDTH);
  check(wide.length === 0, `print: nothing wider than the page (${PRINT_WIDTH}px)`, wide.slice(0, 5).join("; "));
  const cut = await clipped(page);
  check(cut.length === 0, "print: no content clipped", cut.slice(0, 5).join("; "));
  const columns = await page.evaluate(() => getComputedStyle(document.querySelector(".board")).gridTemplateColumns.split(" ").length);
  check(columns === 6, "print: the stage board keeps six columns", `${columns} columns`);
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
  const text = pdf.toString("latin1");
  const pages = (text.match(/\/Type\s*\/Page\b/g) || []).length;
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  check(text.startsWith("%PDF-") && pages > 0, "print: printing to PDF works", `${pdf.length} bytes, ${pages} pages`);
  // A4 landscape: 842 x 595 points.
  const a4 = boxes.length > 0 && boxes.every(([w, h]) => Math.abs(w - 842) < 2 && Math.abs(h - 595) < 2);
  check(a4, `print: ${pages} PDF pages, each A4 landscape`, JSON.stringify(boxes.slice(0, 3)));
  if (pdfPath) writeFileSync(pdfPath, pdf);
  return { context, page };
}

async function bench(browser, url, reps) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const times = [];
  for (let r = 0; r <= reps; r++) {
    await page.goto("about:blank");
    const t0 = performance.now();
    await page.goto(url, { waitUntil: "load" });
    await page.screenshot(); // the first screen: the whole page is laid out for it
    if (r > 0) times.push(performance.now() - t0); // the first is a warm-up
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ load_to_screenshot_ms: Math.round(median), reps: times.length }));
  await context.close();
}

async function main() {
  const opts = args(process.argv.slice(2));
  const url = pathToFileURL(resolve(opts.page)).href;
  const browser = await chromium.launch({
    executablePath: opts.chromium,
    args: ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"],
  });
  try {
    if (opts.bench) return await bench(browser, url, Math.max(1, Number(opts.bench)));
    if (!opts.expect && !opts.screenshots) {
      console.error("usage: --expect is required to check a page");
      process.exit(2);
    }
    // Screenshots alone check the layout and accessibility, not the content.
    const none = { initiatives: [], kpis: [], policies: [] };
    const expect = opts.expect ? JSON.parse(readFileSync(opts.expect, "utf8")) : none;
    const shots = opts.screenshots;
    const name = opts.name || "report";
    for (const width of WIDTHS) {
      const { context, page } = await screen(browser, url, width, width > 500 ? 900 : 844, expect);
      if (shots) await page.screenshot({ path: join(shots, `${name}-${width > 500 ? "laptop" : "phone"}.png`) });
      await context.close();
    }
    const { context, page } = await print(browser, url, opts.pdf);
    if (shots) await page.screenshot({ path: join(shots, `${name}-print.png`) });
    await context.close();
  } finally {
    await browser.close();
  }
  console.log(failures === 0 ? "all checks passed" : `${failures} checks failed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

await main();
