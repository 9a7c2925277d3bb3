// Shared by the browser tests: Debian's headless Chromium through playwright-core,
// a page that records the server's Content-Security-Policy and what it refused, and
// a runner that closes the browser and exits non-zero when a check fails.
'use strict';
const { chromium } = require('playwright-core');

function baseUrl() {
  const base = process.argv[2];
  if (!base) {
    console.error(`usage: node ${require('node:path').basename(process.argv[1])} BASE_URL`);
    process.exit(2);
  }
  return base;
}

// What the server's Content-Security-Policy must say on every HTML page (README,
// "Security"): scripts, styles and connections from the site only, nothing inline
// (no 'unsafe-inline'), no framing.
const requiredDirectives = ["default-src 'none'", "script-src 'self'", "style-src 'self'",
  "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'"];

// A page in its own context; the server's own header is the policy Chromium
// enforces (nothing is added here). csp.violations collects what Chromium refused,
// csp.documents the HTML documents that came with the required policy, csp.missing
// those that did not.
async function strictPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const csp = { violations: [], documents: [], missing: [] };
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.violations.push(m.text());
  });
  page.on('response', (response) => {
    const request = response.request();
    const type = response.headers()['content-type'] || '';
    if (request.resourceType() !== 'document' || !type.startsWith('text/html')) return;
    const policy = response.headers()['content-security-policy'] || '';
    const ok = requiredDirectives.every((d) => policy.includes(d)) &&
      !policy.includes('unsafe-inline') &&
      response.headers()['x-content-type-options'] === 'nosniff' &&
      response.headers()['referrer-policy'] === 'same-origin';
    (ok ? csp.documents : csp.missing).push(`${request.url()} (${response.status()}): ${policy}`);
  });
  return { context, page, csp };
}

// Runs each check in turn with one browser; exits 1 on the first failure.
function runChecks(checks, doneMessage) {
  (async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      for (const check of checks) await check(browser);
      console.log(doneMessage);
    } finally {
      await browser.close();
    }
  })().catch((e) => {
    console.error(e.stack || String(e));
    process.exit(1);
  });
}

module.exports = { baseUrl, runChecks, strictPage };
