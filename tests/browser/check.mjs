// Opens an fptriage HTML report in Debian's headless Chromium (through playwright-core, which
// downloads no browser) and checks what a reader sees:
//   - the verdict section is visible and names the expected root cause;
//   - the first evidence block starts closed, opens on a click, and its table shows the
//     bundle's script payload as text;
//   - the payload did not run (no window.__pwned, title unchanged, no <script> or <img> element
//     in the DOM, no request other than the report itself);
// then takes a full-page screenshot.
//
// Usage: node check.mjs <report.html> <screenshot.png> [expected verdict title]
// Environment: CHROMIUM (default /usr/bin/chromium). Exits 1 with a message on any failure.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [reportArg, screenshotArg, expectedTitle = 'DNS cannot resolve SSE hosts'] =
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

  // The first evidence block: closed, opens on a click, shows the payload as text.
  const details = page.locator('details.evidence').first();
  if (check((await page.locator('details.evidence').count()) >= 1, 'no details.evidence')) {
    const table = details.locator('table');
    check(!(await details.evaluate((d) => d.open)), 'the first details.evidence starts open');
    check(!(await table.isVisible()), 'the evidence table is visible before the click');
    await details.locator('summary').click();
    check(await details.evaluate((d) => d.open), 'clicking the summary did not open the evidence');
    check(await table.isVisible(), 'the evidence table is not visible after the click');
    const text = await table.innerText();
    check(
      text.includes(PAYLOAD_TEXT) && text.includes(IMG_TEXT),
      `the evidence table does not show the payload as text; it reads:\n${text}`,
    );
  }

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
