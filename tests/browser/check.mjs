// Opens an fptriage HTML report in Debian's headless Chromium (through playwright-core, which
// downloads no browser) and checks what a reader sees:
//   - the verdict section is visible and names the expected root cause;
//   - the evidence is on the page without a click (no <details>: print cannot open one), and
//     its table shows the bundle's script payload as text; hovering a row's place names the
//     whole archive chain;
//   - the payload did not run (no window.__pwned, title unchanged, no <script> or <img> element
//     in the DOM, no request other than the report itself);
//   - under print media at 800 px: every evidence row is visible, the device table fits the
//     page, the timeline SVG is there and names every device given;
// then takes a full-page screenshot.
//
// Usage: node check.mjs <report.html> <screenshot.png> [expected verdict title] [device name]...
// Environment: CHROMIUM (default /usr/bin/chromium). Exits 1 with a message on any failure.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [reportArg, screenshotArg, expectedTitle = 'DNS cannot resolve SSE hosts', ...devices] =
  process.argv.slice(2);
if (!reportArg || !screenshotArg) {
  console.error('usage: node check.mjs <report.html> <screenshot.png> [expected verdict title]');
  process.exit(2);
}
const reportUrl = pathToFileURL(resolve(reportArg)).href;
const PAYLOAD_TEXT = "<script>window.__pwned=1;document.title='PWNED'</script>";
const IMG_TEXT = '<img src=x onerror=';

const failures = [];
function check(ok, message) {
  if (!ok) failures.push(message);
  return ok;
}

const userDataDir = mkdtempSync(join(tmpdir(), 'fptriage-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());

  const requests = [];
  const pageErrors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));

  const response = await page.goto(reportUrl, { waitUntil: 'load', timeout: 30_000 });
  check(response === null || response.ok(), `loading ${reportUrl} failed`);

  // The verdict: visible, and naming the root cause.
  const verdict = page.locator('#verdict');
  if (check((await verdict.count()) === 1, 'no #verdict section')) {
    check(await verdict.isVisible(), '#verdict is not visible');
    const text = await verdict.innerText();
    check(
      text.includes(expectedTitle),
      `#verdict does not name "${expectedTitle}"; it reads:\n${text}`,
    );
    // It leads: the verdict starts in the first screenful.
    const box = await verdict.boundingBox();
    check(box !== null && box.y < 900, `#verdict starts below the first screen (y=${box?.y})`);
  }

  // The evidence: shown without a click, the payload as text, the archive chain on hover.
  const evidence = page.locator('div.evidence').first();
  if (check((await page.locator('div.evidence').count()) >= 1, 'no div.evidence')) {
    const table = evidence.locator('table');
    check(await table.isVisible(), 'the evidence table is not visible');
    check(
      (await page.locator('details.evidence').count()) === 0,
      'evidence sits in a <details>, which print leaves closed',
    );
    const text = await table.innerText();
    check(
      text.includes(PAYLOAD_TEXT) && text.includes(IMG_TEXT),
      `the evidence table does not show the payload as text; it reads:\n${text}`,
    );
    const where = table.locator('td.where').first();
    const chain = (await where.getAttribute('title')) ?? '';
    const shown = await where.innerText();
    check(chain.includes('dir-archives/') && chain.length > shown.length - 1,
      `the place's hover title is not the archive chain: title="${chain}", text="${shown}"`);
  }

  // Print: everything visible, fitted to an 800 px page.
  await page.setViewportSize({ width: 800, height: 1000 });
  await page.emulateMedia({ media: 'print' });
  const rows = page.locator('.evidence-row');
  const rowCount = await rows.count();
  check(rowCount >= 1, 'no evidence rows');
  for (let i = 0; i < rowCount; i++) {
    check(await rows.nth(i).isVisible(), `print: evidence row ${i} is not visible`);
  }
  const chains = page.locator('.evidence .chain');
  if ((await chains.count()) > 0) {
    check(await chains.first().isVisible(), 'print: the archive chain line is not visible');
  }
  const fit = await page.evaluate(() => {
    const t = document.querySelector('table.devices');
    return t ? { table: t.getBoundingClientRect().right, page: document.documentElement.clientWidth,
      scroll: document.documentElement.scrollWidth } : null;
  });
  if (check(fit !== null, 'no table.devices')) {
    check(fit.table <= fit.page + 0.5, `print: the device table ends at ${fit.table}px on a ${fit.page}px page`);
    check(fit.scroll <= fit.page, `print: the page scrolls sideways (${fit.scroll} > ${fit.page})`);
  }
  const svg = page.locator('#timeline svg.timeline');
  if (check((await svg.count()) === 1, 'print: no timeline SVG')) {
    check(await svg.isVisible(), 'print: the timeline SVG is not visible');
    const labels = await svg.evaluate((s) => Array.from(s.querySelectorAll('text'), (t) => t.textContent));
    for (const d of devices) {
      check(labels.includes(d), `the timeline does not name device "${d}"; labels: ${labels.join(' | ')}`);
    }
  }
  const inventory = page.locator('#bundle .print-only table').first();
  if ((await inventory.count()) > 0) {
    check(await inventory.isVisible(), 'print: the inventory is not visible');
  }
  await page.pdf({ path: screenshotArg.replace(/\.png$/, '.pdf'), width: '800px' });
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 1280, height: 900 });

  // The payload did not run, and is not markup.
  const state = await page.evaluate(() => ({
    pwned: typeof window.__pwned,
    title: document.title,
    scripts: document.querySelectorAll('script').length,
    images: document.querySelectorAll('img').length,
  }));
  check(state.pwned === 'undefined', `window.__pwned is set (${state.pwned})`);
  check(!state.title.includes('PWNED'), `the title was changed to "${state.title}"`);
  check(state.scripts === 0, `the DOM holds ${state.scripts} <script> element(s)`);
  check(state.images === 0, `the DOM holds ${state.images} <img> element(s)`);
  const others = requests.filter((u) => u !== reportUrl);
  check(others.length === 0, `the page requested other resources: ${others.join(', ')}`);
  check(pageErrors.length === 0, `page errors: ${pageErrors.join('; ')}`);

  await page.screenshot({ path: screenshotArg, fullPage: true });
} catch (e) {
  failures.push(`browser: ${e?.stack ?? e}`);
} finally {
  if (context) await context.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`check.mjs: ${failures.length} failure(s) on ${reportUrl}:`);
  for (const f of failures) console.error(`- ${f}`);
  process.exit(1);
}
console.log(`check.mjs: ok (${reportUrl}); screenshot ${screenshotArg}`);
