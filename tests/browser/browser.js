// Shared by the browser tests: Debian's headless Chromium through playwright-core,
// a page under a strict Content-Security-Policy, and a runner that closes the
// browser and exits non-zero when a check fails.
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

// What the pages must work under: scripts, styles and connections from the site
// only, nothing inline (no 'unsafe-inline'), so that every script and style has to
// come from /assets/.
const strictCsp = "default-src 'self'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'";

// A page in its own context whose documents arrive with strictCsp added (the
// server does not send one yet). csp.violations collects what Chromium refused,
// csp.documents the URLs served with the policy. Other requests (scripts, the
// event stream, fetches, a form's POST) go to the network untouched; Chromium
// follows a redirect without asking the route again, so the page a POST's 303
// leads to has no policy until it is loaded again.
async function strictPage(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const csp = { violations: [], documents: [] };
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.violations.push(m.text());
  });
  await context.route('**/*', async (route) => {
    const request = route.request();
    if (request.resourceType() !== 'document' || request.method() !== 'GET') {
      await route.continue();
      return;
    }
    const response = await route.fetch();
    csp.documents.push(request.url());
    await route.fulfill({
      response,
      headers: { ...response.headers(), 'content-security-policy': strictCsp },
    });
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
