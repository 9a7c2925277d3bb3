// Browser test of cross-site request forgery in Debian's headless Chromium
// (playwright-core): a page served from another origin auto-submits forms to
// asyncpage (create a job, cancel one); Chromium sends them with the visitor's
// cookies and Sec-Fetch-Site: cross-site, and asyncpage refuses both with 403.
// The same job form on asyncpage's own page still works. The caller
// (tests/e2e/browser_test.cpp) checks in the jobs table that the refused post
// stored nothing.
// Usage: node cross_origin.js BASE_URL   (prints "created JOB_ID" for the caller)
'use strict';
const assert = require('node:assert/strict');
const http = require('node:http');
const { baseUrl, runChecks } = require('./browser');

const base = baseUrl();

// The attacker's site: another origin (another port on the same host, which
// browsers treat as a different origin) serving a form that submits itself.
function evilSite(action, fields) {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input name="${k}" value="${v}">`).join('');
  const html = `<!doctype html><title>win a prize</title>
<form id="f" method="post" action="${action}">${inputs}</form>
<script>document.getElementById('f').submit()</script>`;
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(html);
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function refusedFrom(browser, action, fields) {
  const server = await evilSite(action, fields);
  const evil = `http://127.0.0.1:${server.address().port}/`;
  const page = await browser.newPage();
  try {
    const answer = page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST');
    await page.goto(evil);
    const r = await answer;
    const headers = await r.request().allHeaders();
    console.log(`cross-site POST ${action}: ${r.status()} (Origin ${headers.origin}, ` +
      `Sec-Fetch-Site ${headers['sec-fetch-site']})`);
    assert.ok(['same-site', 'cross-site'].includes(headers['sec-fetch-site']),
      'Chromium says the post comes from elsewhere');
    assert.equal(r.status(), 403, 'a post from another origin is refused');
    assert.match(await r.text(), /cross-origin/, 'the answer says why');
  } finally {
    await page.close();
    server.close();
  }
}

async function ownFormWorks(browser) {
  const page = await browser.newPage();
  await page.goto(`${base}/reports/job_steps`);
  await page.fill('input[name=steps]', '1');
  await page.fill('input[name=step_ms]', '0');
  await Promise.all([
    page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/),
    page.click('#run-form button[type=submit]'),
  ]);
  const id = page.url().split('/').pop();
  console.log(`created ${id}`);
  await page.close();
  return id;
}

let ownJob = '';
runChecks([
  async (browser) => { ownJob = await ownFormWorks(browser); },
  (browser) => refusedFrom(browser, `${base}/reports/job_steps/jobs`, { steps: '1', step_ms: '0' }),
  (browser) => refusedFrom(browser, `${base}/jobs/${ownJob}/cancel`, {}),
], 'cross-origin checks passed');
