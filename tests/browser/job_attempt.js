// Browser test of a retried job's wait screen in Debian's headless Chromium
// (playwright-core): while the screen follows a running job, the only worker is
// killed (kill -9); the supervisor releases its lease, the job runs again, and
// the screen shows "attempt 2 of 3" live (no reload), then the result.
// Hooks: #job-attempt (app/render/job_html.cpp, assets/job.js).
// Usage: node job_attempt.js BASE_URL JOB_ID WORKER_PID
//   (run by tests/e2e/browser_test.cpp, which starts the job and names the worker)
'use strict';
const assert = require('node:assert/strict');
const { baseUrl, runChecks, strictPage } = require('./browser');

const base = baseUrl();
const id = process.argv[3];
const workerPid = Number(process.argv[4]);
if (!id || !workerPid) {
  console.error('usage: node job_attempt.js BASE_URL JOB_ID WORKER_PID');
  process.exit(2);
}

const attemptLine = (page) => page.evaluate(() => {
  const el = document.getElementById('job-attempt');
  return { hidden: el.hidden, text: el.textContent.trim() };
});

runChecks([async (browser) => {
  const { context, page, csp } = await strictPage(browser);
  await page.goto(`${base}/jobs/${id}`);
  await page.waitForFunction(
    () => document.getElementById('job-state').textContent.trim() === 'running',
    null, { timeout: 10000 });
  assert.deepEqual(await attemptLine(page), { hidden: true, text: '' },
    'no attempt line on a first run');
  // Marks this document: a reload would lose it.
  await page.evaluate(() => { window.attemptMarker = 1; });
  process.kill(workerPid, 'SIGKILL');
  const killed = Date.now();
  await page.waitForFunction(() => {
    const el = document.getElementById('job-attempt');
    return !el.hidden && el.textContent.trim() === 'attempt 2 of 3';
  }, null, { timeout: 15000 });
  console.log(`"attempt 2 of 3" shown ${(Date.now() - killed) / 1000} s after the kill`);
  await page.waitForFunction(
    () => document.getElementById('job-state').textContent.trim() === 'succeeded',
    null, { timeout: 20000 });
  await page.waitForSelector('#job-result table', { timeout: 10000 });
  assert.equal(await page.evaluate(() => window.attemptMarker), 1,
    'updated live, without a reload');
  assert.deepEqual(await attemptLine(page), { hidden: false, text: 'attempt 2 of 3' });
  assert.deepEqual(csp.violations, [], 'nothing inline refused by the Content-Security-Policy');
  await context.close();
}], 'job_attempt: ok');
