// Browser test of a report page in Debian's headless Chromium (playwright-core):
// the wait indicator shows while a submitted report runs, the results replace it,
// the form still works without JavaScript, and markup in a param never runs; with
// JavaScript, under the server's Content-Security-Policy, which refuses anything
// inline.
// Usage: node report_page.js BASE_URL   (run by tests/e2e/browser_test.cpp)
'use strict';
const assert = require('node:assert/strict');
const { baseUrl, runChecks, strictPage } = require('./browser');

const base = baseUrl();

async function waitIndicator(browser) {
  // deadline_partial takes 1 s: long enough to look at the page while it runs.
  const { context, page, csp } = await strictPage(browser);
  await page.goto(`${base}/reports/deadline_partial`);
  assert.equal(await page.locator('#wait').isHidden(), true, 'wait indicator hidden before submit');
  // Record the indicator 300 ms into the run; sessionStorage survives the navigation.
  await page.evaluate(() => {
    document.getElementById('run-form').addEventListener('submit', () => {
      setTimeout(() => sessionStorage.setItem('during', JSON.stringify({
        hidden: document.getElementById('wait').hidden,
        text: document.getElementById('wait').innerText,
        disabled: document.querySelector('#run-form button[type=submit]').disabled,
      })), 300);
    });
  });
  const started = Date.now();
  await page.click('#run-form button[type=submit]', { noWaitAfter: true });
  await page.waitForURL(/run=1/);
  await page.waitForLoadState('load');
  const took = Date.now() - started;
  const during = JSON.parse(await page.evaluate(() => sessionStorage.getItem('during')));
  console.log(`page loaded after ${took} ms; 300 ms in: ${JSON.stringify(during)}`);
  assert.ok(took >= 900, `the report runs ~1 s, so the page must not be back after ${took} ms`);
  assert.equal(during.hidden, false, 'wait indicator visible while the report runs');
  assert.match(during.text, /Running/, 'wait indicator says it is running');
  assert.equal(during.disabled, true, 'submit button disabled while running');
  assert.equal(await page.locator('#wait').isHidden(), true, 'wait indicator hidden on the result page');
  const body = await page.locator('body').innerText();
  assert.match(body, /partial/i, 'the partial page is shown');
  assert.match(body, /timeout/i, 'the slow section is marked timeout');
  assert.equal(csp.documents.length, 2, `both pages had the policy: ${JSON.stringify(csp.documents)}`);
  assert.deepEqual(csp.violations, [], 'nothing inline refused by the Content-Security-Policy');
  assert.deepEqual(csp.missing, [], 'every page came with the policy');
  await context.close();
}

// ?trace=1 draws a bar per section; report.js sizes them from their data attributes.
async function timelineBars(browser) {
  const { context, page, csp } = await strictPage(browser);
  await page.goto(`${base}/reports/deadline_partial?run=1&trace=1`);
  const bars = await page.locator('.bar').evaluateAll((els) => els.map((e) => ({
    begin: e.getAttribute('data-begin'), width: e.getAttribute('data-width'),
    styleWidth: e.style.width, px: e.getBoundingClientRect().width,
    // Percentages are of the cell's content box.
    cell: (() => {
      const td = e.parentElement;
      const cs = getComputedStyle(td);
      return td.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    })(),
  })));
  console.log(`timeline bars: ${JSON.stringify(bars)}`);
  assert.ok(bars.length >= 2, 'a bar per started section');
  for (const b of bars) {
    assert.equal(parseFloat(b.styleWidth), Number(b.width), `the width comes from data-width: ${b.styleWidth}`);
    const expected = b.cell * Number(b.width) / 100;
    assert.ok(Math.abs(b.px - Math.max(expected, 2)) <= 2, `drawn ${b.px} px, expected ~${expected}`);
  }
  assert.ok(bars.some((b) => b.px > 10), 'some bar has a visible length');
  assert.deepEqual(csp.violations, [], 'nothing inline refused by the Content-Security-Policy');
  assert.deepEqual(csp.missing, [], 'every page came with the policy');
  await context.close();
}

// The index under the server's policy: nothing refused, the reports listed.
async function indexPage(browser) {
  const { context, page, csp } = await strictPage(browser);
  await page.goto(`${base}/`);
  await page.waitForLoadState('load');
  assert.ok(await page.locator('ul.reports a').count() > 0, 'the index lists reports');
  assert.ok(csp.documents.some((u) => u.startsWith(`${base}/ (200)`)),
    `the index had the policy: ${JSON.stringify(csp.documents)} missing ${JSON.stringify(csp.missing)}`);
  assert.deepEqual(csp.violations, [], 'nothing refused by the Content-Security-Policy');
  assert.deepEqual(csp.missing, [], 'every page came with the policy');
  await context.close();
}

async function withoutJavaScript(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/reports/html_escape`);
  await page.fill('input[name=label]', 'no script here');
  await Promise.all([page.waitForURL(/label=no/), page.click('#run-form button[type=submit]')]);
  const cells = await page.locator('td').allInnerTexts();
  console.log(`without JS the form ran the report: ${JSON.stringify(cells)}`);
  assert.ok(cells.includes('no script here'), 'the value comes back in a table cell');
  await context.close();
}

async function markupNeverRuns(browser) {
  const page = await browser.newPage();
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
  const evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
  await page.goto(`${base}/reports/html_escape?label=${encodeURIComponent(evil)}`);
  await page.waitForTimeout(300);
  assert.equal(dialogs, 0, 'a param with markup must not run script');
  assert.equal(await page.locator('input[name=label]').inputValue(), evil, 'the form keeps the value as typed');
  assert.ok((await page.locator('td').allInnerTexts()).includes(evil), 'the cell shows the value as text');
  assert.equal(await page.locator('td img').count(), 0, 'no element was injected');
  await page.close();
}

runChecks([indexPage, waitIndicator, timelineBars, withoutJavaScript, markupNeverRuns], 'browser checks passed');
