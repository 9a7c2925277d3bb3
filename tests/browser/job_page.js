// Browser test of a background job's wait screen in Debian's headless Chromium
// (playwright-core): the report form starts a job and lands on /jobs/ID, the bar
// and message advance live while it runs, the result replaces it (values escaped),
// the cancel button cancels, and without JavaScript the page refreshes itself to
// the result; with JavaScript, under the server's Content-Security-Policy, which
// refuses anything inline. Hooks: app/render/job_html.hpp.
// Usage: node job_page.js BASE_URL   (run by tests/e2e/browser_test.cpp)
'use strict';
const assert = require('node:assert/strict');
const { baseUrl, runChecks, strictPage } = require('./browser');

const base = baseUrl();

const jobUrl = /\/jobs\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const finalStates = ['succeeded', 'failed', 'cancelled'];

// Fills job_steps' form and submits it; resolves with the job id once the browser
// followed the 303 to the wait screen.
async function startJob(page, { steps, stepMs, label }) {
  await page.goto(`${base}/reports/job_steps`);
  await page.fill('input[name=steps]', String(steps));
  await page.fill('input[name=step_ms]', String(stepMs));
  if (label !== undefined) await page.fill('input[name=label]', label);
  await Promise.all([
    page.waitForURL(jobUrl),
    page.click('#run-form button[type=submit]'),
  ]);
  const id = jobUrl.exec(page.url())[1];
  return id;
}

// One look at the wait screen's hooks, in the page.
function sample(page) {
  return page.evaluate(() => {
    const bar = document.getElementById('job-bar');
    const now = bar.getAttribute('aria-valuenow');
    return {
      state: document.getElementById('job-state').textContent.trim(),
      valuenow: now === null ? null : Number(now),
      percent: document.getElementById('job-percent').textContent.trim(),
      fill: bar.querySelector('.progress-fill').style.width,
      message: document.getElementById('job-message').textContent.trim(),
      elapsed: document.getElementById('job-elapsed').textContent.trim(),
      marker: window.__sameDocument === true,
    };
  });
}

async function jobJson(id) {
  const r = await fetch(`${base}/jobs/${id}`, { headers: { Accept: 'application/json' } });
  assert.equal(r.status, 200, `GET /jobs/${id} as JSON`);
  return r.json();
}

async function liveProgressAndResult(browser) {
  const { context, page, csp } = await strictPage(browser);
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
  const started = Date.now();
  const id = await startJob(page, { steps: 8, stepMs: 400, label: '<b>x</b>' });
  const landed = Date.now() - started;
  // Loaded again as a plain GET: the wait screen, not the form's redirect.
  await page.goto(`${base}/jobs/${id}`);
  // Set once: still there at the end means the page never reloaded (updates are live).
  await page.evaluate(() => { window.__sameDocument = true; });

  // Sample every 100 ms until the job is final (8 steps of 400 ms: ~3.2 s).
  const samples = [];
  let last;
  for (;;) {
    last = await sample(page);
    samples.push({ t: Date.now() - started, ...last });
    if (finalStates.includes(last.state)) break;
    assert.ok(Date.now() - started < 20000, `job not final after 20 s: ${JSON.stringify(last)}`);
    await page.waitForTimeout(100);
  }
  const finalAt = Date.now() - started;
  const running = samples.filter((s) => s.state === 'running' && s.valuenow !== null);
  const seen = [...new Set(running.map((s) => s.valuenow))];
  const messages = [...new Set(samples.map((s) => s.message).filter((m) => m !== ''))];
  console.log(`job ${id}: wait screen after ${landed} ms, final (${last.state}) after ${finalAt} ms; ` +
    `${samples.length} samples, progress while running ${JSON.stringify(seen)}, ` +
    `messages ${JSON.stringify(messages)}`);

  assert.equal(last.state, 'succeeded', 'the job succeeds');
  assert.equal(last.marker, true, 'the wait screen updated in place, without reloading');
  assert.ok(seen.length >= 2, `the bar advances live: saw ${JSON.stringify(seen)}`);
  for (let i = 1; i < running.length; i++) {
    assert.ok(running[i].valuenow >= running[i - 1].valuenow,
      `progress never goes back: ${JSON.stringify(running.map((s) => s.valuenow))}`);
  }
  for (const s of running) {
    assert.equal(s.percent, `${s.valuenow}%`, '#job-percent matches aria-valuenow');
    assert.equal(s.fill, `${s.valuenow}%`, 'the bar is as wide as aria-valuenow says');
    assert.ok(s.valuenow > 0 && s.valuenow <= 100, `progress in range: ${s.valuenow}`);
  }
  assert.ok(messages.some((m) => /^step [1-8] of 8$/.test(m)),
    `#job-message shows "step N of 8": ${JSON.stringify(messages)}`);
  assert.ok(messages.every((m) => /^step [1-8] of 8$/.test(m)),
    `only progress messages: ${JSON.stringify(messages)}`);

  // The result fragment arrives after the final state.
  await page.waitForSelector('#job-result table', { timeout: 20000 });
  const shownAt = Date.now() - started;
  const after = await sample(page);
  assert.equal(after.valuenow, 100, 'a succeeded job shows its bar at 100');
  assert.equal(after.percent, '100%');
  assert.equal(after.fill, '100%', 'a succeeded job shows its bar full');
  const firstRows = page.locator('#job-result section').first().locator('tbody tr');
  assert.equal(await firstRows.count(), 8, 'the first section has one row per step');
  const labels = await firstRows.locator('td:nth-child(3)').allInnerTexts();
  console.log(`result shown after ${shownAt} ms, elapsed "${after.elapsed}", labels ${JSON.stringify(labels)}`);
  assert.deepEqual(labels, Array(8).fill('<b>x</b>'), 'the label cell shows the markup as text');
  assert.equal(await page.locator('#job-result b').count(), 0, 'no <b> element was injected');
  assert.equal(await page.locator('#job-cancel').isVisible(), false, 'the cancel form is gone');
  assert.equal(await page.locator('#job-error').isHidden(), true, 'no error shown');
  assert.equal(await page.locator('#job-cancelled').isHidden(), true, 'not marked cancelled');
  assert.equal(dialogs, 0, 'no script ran from the label');

  const json = await jobJson(id);
  assert.equal(json.state, 'succeeded');
  assert.equal(json.progress, 100, 'the last step reported 100');
  assert.equal(json.message, 'step 8 of 8');
  assert.ok(csp.documents.some((u) => u.includes(`/jobs/${id} (200)`)),
    `the wait screen had the policy: ${JSON.stringify(csp.documents)}`);
  assert.deepEqual(csp.violations, [], 'nothing inline refused by the Content-Security-Policy');
  assert.deepEqual(csp.missing, [], 'every page came with the policy');
  await context.close();
}

async function cancelButton(browser) {
  const { context, page, csp } = await strictPage(browser);
  const started = Date.now();
  const id = await startJob(page, { steps: 50, stepMs: 1000 });
  await page.goto(`${base}/jobs/${id}`);
  await page.waitForFunction(() => {
    const s = document.getElementById('job-state').textContent.trim();
    return s === 'running' || document.getElementById('job-bar').hasAttribute('aria-valuenow');
  }, null, { timeout: 10000, polling: 100 });
  const runningAt = Date.now() - started;
  const before = await sample(page);
  assert.equal(before.state, 'running', `running before cancel: ${JSON.stringify(before)}`);
  assert.equal(await page.locator('#job-cancel button').isVisible(), true, 'the cancel button shows');

  const clicked = Date.now();
  await page.click('#job-cancel button');
  await page.waitForFunction(
    () => document.getElementById('job-state').textContent.trim() === 'cancelled',
    null, { timeout: 3000, polling: 50 });
  const took = Date.now() - clicked;
  assert.equal(page.url().endsWith(`/jobs/${id}`), true, 'still on the wait screen');
  assert.equal(await page.locator('#job-cancelled').isVisible(), true, '#job-cancelled shows');
  assert.equal(await page.locator('#job-cancel').isVisible(), false, 'the cancel form is gone');
  assert.equal(await page.locator('#job-error').isHidden(), true, 'no error shown');
  const json = await jobJson(id);
  console.log(`job ${id}: running after ${runningAt} ms (${JSON.stringify(before.message)}), ` +
    `cancelled ${took} ms after the click; JSON state ${json.state}, progress ${json.progress}`);
  assert.equal(json.state, 'cancelled', 'the job JSON says cancelled');
  assert.ok(json.finished_at, 'a cancelled job has finished_at');
  assert.ok(csp.documents.some((u) => u.includes(`/jobs/${id} (200)`)),
    `the wait screen had the policy: ${JSON.stringify(csp.documents)}`);
  assert.deepEqual(csp.violations, [], 'nothing inline refused by the Content-Security-Policy');
  assert.deepEqual(csp.missing, [], 'every page came with the policy');
  await context.close();
}

async function withoutJavaScript(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  let loads = 0;
  page.on('load', () => { loads += 1; });
  const started = Date.now();
  // 4 s of work: still running when the wait screen arrives, so the refresh must
  // run, and at least one refresh shows a running job with some progress.
  const id = await startJob(page, { steps: 4, stepMs: 1000 });
  const loadsAtStart = loads;
  const first = (await page.locator('#job-state').textContent()).trim();
  // The <noscript> meta refresh reloads every 2 s until the job is final.
  let state = first;
  let drawn = null;  // the bar of a running job with progress, as the browser drew it
  while (state !== 'succeeded') {
    assert.ok(!['failed', 'cancelled'].includes(state), `job ended ${state}`);
    assert.ok(Date.now() - started < 15000, `no JS: still ${state} after 15 s`);
    await page.waitForTimeout(200);
    try {
      state = (await page.locator('#job-state').textContent({ timeout: 2000 })).trim();
      if (state === 'running' && drawn === null) {
        const bar = await page.locator('#job-bar').evaluate((b) => ({
          now: Number(b.getAttribute('aria-valuenow')),
          width: b.getBoundingClientRect().width,
          fill: b.querySelector('.progress-fill').getBoundingClientRect().width,
        }), { timeout: 2000 });
        if (bar.now > 0) drawn = bar;
      }
    } catch (e) {
      // mid-reload: look again
    }
  }
  const took = Date.now() - started;
  await page.waitForLoadState('load');
  const rows = await page.locator('#job-result section').first().locator('tbody tr').count();
  const reloads = loads - loadsAtStart;
  console.log(`without JS job ${id} was ${first} on arrival, succeeded after ${took} ms ` +
    `and ${reloads} reload(s); ${rows} result rows`);
  assert.notEqual(first, 'succeeded', 'the job was final on arrival: the refresh went untested');
  assert.ok(reloads >= 1, 'the page reloaded itself');
  // No script and no style attribute: the stylesheet alone sizes the fill.
  assert.ok(drawn !== null, 'no refresh showed the running job with progress');
  assert.ok(Math.abs(drawn.fill - drawn.width * drawn.now / 100) <= 2,
    `without JS the fill is ${drawn.fill}px of ${drawn.width}px at ${drawn.now}%`);
  assert.equal(rows, 4, 'the result table is on the page (a row a step)');
  assert.equal(await page.locator('#job-cancel').count(), 0, 'no cancel form once final');
  assert.equal(await page.locator('#job-bar').getAttribute('aria-valuenow'), '100');
  await context.close();
}

runChecks([liveProgressAndResult, cancelButton, withoutJavaScript], 'job page checks passed');
