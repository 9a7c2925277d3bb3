// Shared by the browser tests: Debian's headless Chromium through playwright-core,
// and a runner that closes the browser and exits non-zero when a check fails.
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

module.exports = { baseUrl, runChecks };
