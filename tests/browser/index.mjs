// Opens a batch's index.html in Debian's headless Chromium (through playwright-core) twice, and
// prints what a reader sees as one JSON object on stdout, for tests/html_browser.rs to judge:
//   - without script: whether the filter form shows, which rows and sections are displayed,
//     whether the <noscript> note is displayed;
//   - with script: the same at first, then after each action of ACTIONS (a JSON array of
//     {"select": id, "value": v} / {"fill": id, "value": v} / {"reset": true} steps, each step's
//     state recorded after it): the displayed rows per section, in order, and the "shown" text;
//   - console errors (a CSP that blocks the script says so there), page errors, and any request
//     other than the page itself.
// A full-page screenshot of the scripted page (after the last action) goes to SCREENSHOT.
//
// Usage: node index.mjs <index.html> <screenshot.png> '<actions JSON>'
// Environment: CHROMIUM (default /usr/bin/chromium). Exits 1 only when the browser fails.

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [indexArg, screenshotArg, actionsArg = '[]'] = process.argv.slice(2);
if (!indexArg || !screenshotArg) {
  console.error("usage: node index.mjs <index.html> <screenshot.png> '<actions JSON>'");
  process.exit(2);
}
const url = pathToFileURL(resolve(indexArg)).href;
const actions = JSON.parse(actionsArg);

// What is displayed: every section with its displayed rows (data-case, in document order).
function snapshot() {
  const shown = (e) => e.getClientRects().length > 0;
  const form = document.getElementById('filters');
  const noscript = Array.from(document.querySelectorAll('noscript'));
  return {
    form_displayed: form !== null && shown(form),
    noscript_displayed: noscript.some((n) => n.offsetParent !== null || shown(n)),
    shown_text: document.getElementById('shown')?.textContent ?? '',
    sections: Array.from(document.querySelectorAll('section.group')).map((s) => ({
      group: s.dataset.group,
      kind: s.dataset.kind,
      displayed: shown(s),
      heading: s.querySelector('h3')?.innerText ?? '',
      rows: Array.from(s.querySelectorAll('tr.case')).filter(shown).map((r) => r.dataset.case),
    })),
    chart_bars: document.querySelectorAll('svg rect').length,
  };
}

let browser;
const result = { console_errors: [], page_errors: [], requests: [] };
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 60_000,
  });
  const open = async (javaScriptEnabled) => {
    const context = await browser.newContext({
      javaScriptEnabled,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') result.console_errors.push(m.text());
    });
    page.on('pageerror', (e) => result.page_errors.push(String(e)));
    page.on('request', (r) => {
      if (r.url() !== url) result.requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    return page;
  };

  const plain = await open(false);
  result.without_script = await plain.evaluate(snapshot);
  await plain.context().close();

  const page = await open(true);
  result.with_script = await page.evaluate(snapshot);
  result.steps = [];
  for (const a of actions) {
    if (a.select) await page.selectOption(`#${a.select}`, a.value);
    else if (a.fill) await page.fill(`#${a.fill}`, a.value);
    else if (a.reset) await page.click('#filters button[type=reset]');
    await page.waitForTimeout(50);
    result.steps.push({ action: a, ...(await page.evaluate(snapshot)) });
  }
  await page.screenshot({ path: screenshotArg, fullPage: true });
  await page.context().close();
} catch (e) {
  console.error(`index.mjs: browser: ${e?.stack ?? e}`);
  process.exitCode = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
}
if (!process.exitCode) console.log(JSON.stringify(result));
