// Browser test of the demo's presentation lines in Debian's headless Chromium
// (playwright-core), on the demo's own reports and data (sql/reports, sql/demo.sql):
// the dashboard's SVG charts are visible with their axis labels and fit a phone, a
// click (or Enter, or Space) on a column header sorts numbers as numbers, a
// linked cell leads to the right report, the tables work without JavaScript, and
// no page logs a console error or a refused Content-Security-Policy.
// Usage: node dashboard.js BASE_URL [SCREENSHOT.png]   (run by tests/e2e/browser_test.cpp)
'use strict';
const assert = require('node:assert/strict');
const { baseUrl, runChecks, strictPage } = require('./browser');

const base = baseUrl();
const screenshot = process.argv[3];

// A page that also collects console errors (the favicon nobody serves aside).
async function watchedPage(browser, options) {
  const { context, page, csp } = await strictPage(browser);
  if (options) await page.setViewportSize(options);
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon\.ico$/.test(m.location().url || '')) {
      errors.push(`${m.text()} (${m.location().url})`);
    }
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, csp, errors };
}

// The <section> whose heading starts with the section's name (then its badge).
function sectionOf(page, name) {
  return page.locator('section', { has: page.locator('h2', { hasText: new RegExp(`^${name} `) }) });
}

async function columnValues(table, index) {
  return table.locator(`tbody tr td:nth-child(${index + 1})`).allInnerTexts();
}

function asNumbers(texts) {
  return texts.map((t) => Number(t.replace(/,/g, '')));
}

async function chartsVisible(browser) {
  const { context, page, csp, errors } = await watchedPage(browser, { width: 1100, height: 900 });
  await page.goto(`${base}/reports/dashboard?run=1`);
  const months = sectionOf(page, 'months');
  const line = months.locator('svg[role=img]').first();
  assert.equal(await line.isVisible(), true, 'the months chart is visible');
  assert.equal(await line.locator('title').first().textContent(), 'Line chart of revenue by month');
  const box = await line.boundingBox();
  console.log(`months chart drawn ${Math.round(box.width)} x ${Math.round(box.height)} px`);
  assert.ok(box.width > 300 && box.height > 150, 'the chart has a readable size');
  const texts = await line.locator('text').allTextContents();
  assert.ok(texts.includes('month'), `the x axis is labelled: ${texts}`);
  assert.ok(texts.includes('revenue'), `the y axis is labelled: ${texts}`);
  assert.ok(texts.some((t) => /^20\d\d-\d\d$/.test(t)), `month ticks: ${texts}`);
  assert.ok(texts.some((t) => /^\d+M$/.test(t)), `revenue ticks in millions: ${texts}`);
  // The line itself is drawn, across most of the plot.
  const path = await line.locator('path[fill=none]').first().boundingBox();
  assert.ok(path && path.width > box.width * 0.6, `the line spans the plot: ${JSON.stringify(path)}`);
  // One chart per presentation line: two in months, a bar chart in regions.
  assert.equal(await months.locator('svg[role=img]').count(), 2);
  const bars = sectionOf(page, 'regions').locator('svg[role=img]');
  assert.equal(await bars.count(), 1);
  assert.equal(await bars.locator('g.series rect').count(), 5, 'a bar per region');
  // Formatted cells: revenue grouped with two decimals, right-aligned.
  const revenue = await sectionOf(page, 'regions').locator('tbody tr td:nth-child(3)').first();
  assert.match(await revenue.innerText(), /^\d{1,3}(,\d{3})+\.\d\d$/);
  assert.equal(await revenue.evaluate((td) => getComputedStyle(td).textAlign), 'right');
  if (screenshot) {
    // The top of the dashboard: form, regions and months with their charts.
    const clip = await sectionOf(page, 'months').locator('.charts').boundingBox();
    await page.screenshot({
      path: screenshot, fullPage: true,
      clip: { x: 0, y: 0, width: 1100, height: Math.ceil(clip.y + clip.height + 8) },
    });
    console.log(`screenshot ${screenshot}`);
  }
  assert.deepEqual(errors, [], 'no console errors');
  assert.deepEqual(csp.violations, [], 'nothing refused by the Content-Security-Policy');
  assert.deepEqual(csp.missing, [], 'every page came with the policy');
  await context.close();
}

async function fitsAPhone(browser) {
  const { context, page, errors } = await watchedPage(browser, { width: 390, height: 844 });
  await page.goto(`${base}/reports/dashboard?run=1`);
  const widths = await page.locator('svg[role=img]').evaluateAll((svgs) =>
    svgs.map((s) => s.getBoundingClientRect().right));
  const viewport = await page.evaluate(() => document.documentElement.clientWidth);
  console.log(`on a phone: charts end at ${widths.map(Math.round)} of ${viewport} px`);
  assert.ok(widths.length >= 4);
  for (const w of widths) assert.ok(w <= viewport, `a chart overflows the phone's width: ${w}`);
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
}

async function sortsNumbersAsNumbers(browser) {
  const { context, page, errors } = await watchedPage(browser);
  await page.goto(`${base}/reports/dashboard?run=1`);
  const table = sectionOf(page, 'top_products').locator('table');
  const header = table.locator('th', { hasText: 'units' });
  const before = asNumbers(await columnValues(table, 3));
  // As text, "9,783" would come after "10,471"; as numbers, before it.
  await header.locator('button').click();
  const up = asNumbers(await columnValues(table, 3));
  assert.deepEqual(up, [...before].sort((a, b) => a - b), `ascending by value: ${up}`);
  assert.equal(await header.getAttribute('aria-sort'), 'ascending');
  // The whole row moves, not just the cell.
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.cells[1].innerText));
  assert.equal(new Set(rows).size, rows.length);
  // The keyboard sorts too: Enter, then Space, on the focused header button.
  await header.locator('button').focus();
  await page.keyboard.press('Enter');
  const down = asNumbers(await columnValues(table, 3));
  assert.deepEqual(down, [...before].sort((a, b) => b - a), `descending by value: ${down}`);
  assert.equal(await header.getAttribute('aria-sort'), 'descending');
  await page.keyboard.press('Space');
  assert.equal(await header.getAttribute('aria-sort'), 'ascending');
  // Another column takes over the sort; numbers formatted as money sort by value.
  const revenueHeader = table.locator('th', { hasText: 'revenue' });
  await revenueHeader.locator('button').click();
  assert.equal(await header.getAttribute('aria-sort'), null);
  const revenue = asNumbers(await columnValues(table, 4));
  assert.deepEqual(revenue, [...revenue].sort((a, b) => a - b));
  // Dates sort by time: the months' newest first after two clicks.
  const months = sectionOf(page, 'months').locator('table');
  const monthHeader = months.locator('th', { hasText: 'month' });
  const days = await columnValues(months, 0);
  await monthHeader.locator('button').click();
  await monthHeader.locator('button').click();
  assert.deepEqual(await columnValues(months, 0), [...days].sort().reverse());
  console.log(`sorted units ${up.join(' ')}`);
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
}

async function linksLeadToTheRightReport(browser) {
  const { context, page, csp, errors } = await watchedPage(browser);
  // Dashboard: a top customer's name leads to the customer report for that id.
  await page.goto(`${base}/reports/dashboard?run=1`);
  const row = sectionOf(page, 'top_customers').locator('tbody tr').first();
  const id = (await row.locator('td').first().innerText()).trim();
  const name = (await row.locator('td a').first().innerText()).trim();
  await Promise.all([page.waitForURL(/\/reports\/customer\?/), row.locator('td a').first().click()]);
  assert.equal(new URL(page.url()).searchParams.get('id'), id);
  const customer = sectionOf(page, 'customer').locator('tbody tr').first();
  assert.equal((await customer.locator('td').first().innerText()).trim(), id);
  assert.equal((await customer.locator('td').nth(1).innerText()).trim(), name);
  // Orders: timestamps sort by their exact value (the title; the text stops at
  // the second).
  await page.goto(`${base}/reports/orders?run=1&lim=50`);
  const orders = sectionOf(page, 'orders').locator('table');
  await orders.locator('th', { hasText: 'created' }).locator('button').click();
  const created = await orders.locator('tbody tr td:nth-child(2)').evaluateAll((tds) =>
    tds.map((td) => td.getAttribute('title') || td.innerText));
  const times = created.map((t) => Date.parse(t.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1').replace(/([+-]\d\d)$/, '$1:00')));
  assert.ok(times.every((t) => !isNaN(t)), `timestamps parse: ${created.slice(0, 3)}`);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
  assert.ok(times[0] < times[times.length - 1], 'not all the same time');
  // Orders: the customer column leads to that order's customer.
  await page.goto(`${base}/reports/orders?run=1&lim=5`);
  const order = sectionOf(page, 'orders').locator('tbody tr').first();
  const who = (await order.locator('td a').first().innerText()).trim();
  await Promise.all([page.waitForURL(/\/reports\/customer\?id=\d+/), order.locator('td a').first().click()]);
  assert.equal((await sectionOf(page, 'customer').locator('tbody tr td').nth(1).innerText()).trim(), who);
  // Dashboard months: a month leads to that month's orders.
  await page.goto(`${base}/reports/dashboard?run=1`);
  const month = sectionOf(page, 'months').locator('tbody tr td a').nth(2);
  const day = (await month.innerText()).trim();
  await Promise.all([page.waitForURL(/\/reports\/orders\?/), month.click()]);
  assert.equal(new URL(page.url()).searchParams.get('month'), day);
  const first = await sectionOf(page, 'summary').locator('tbody td').nth(3).getAttribute('title');
  const firstShown = await sectionOf(page, 'summary').locator('tbody td').nth(3).innerText();
  assert.ok((first || firstShown).startsWith(day.slice(0, 7)), `the orders are of ${day}: ${first || firstShown}`);
  console.log(`links: customer ${id} (${name}), order of ${who}, month ${day}`);
  assert.deepEqual(errors, [], 'no console errors');
  assert.deepEqual(csp.violations, [], 'nothing refused by the Content-Security-Policy');
  await context.close();
}

// The rollup job (sql/reports/rollup.sql) through its form: its result arrives in
// the wait screen (job.js inserts it) with its two charts, its headers sortable
// (table_sort.js enhances inserted tables too), and change_pct, with negative
// values and a NULL, sorts by value with the NULL last; a month leads to the
// orders of that month.
async function rollupJobResult(browser) {
  const { context, page, csp, errors } = await watchedPage(browser);
  await page.goto(`${base}/reports/rollup`);
  await page.fill('input[name=step]', '0.05');  // 20 months, ~1 s
  await Promise.all([page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/), page.click('#run-form button[type=submit]')]);
  const charts = page.locator('#job-result svg[role=img]');
  await charts.first().waitFor({ state: 'visible', timeout: 30000 });
  assert.equal(await charts.count(), 2);
  assert.equal(await charts.nth(1).locator('title').first().textContent(), 'Bar chart of change_pct by month');
  // Negative bars hang below the zero line.
  const zero = await charts.nth(1).locator('line.zero').boundingBox();
  const below = await charts.nth(1).locator('g.series rect').evaluateAll((rects, y) =>
    rects.filter((r) => r.getBoundingClientRect().top >= y - 0.5).length, zero.y);
  assert.ok(below >= 1, 'some month fell from the one before: a bar below zero');
  const table = page.locator('#job-result table');
  const header = table.locator('th', { hasText: 'change_pct' });
  await header.locator('button').waitFor();  // enhanced after it was inserted
  const index = await header.evaluate((th) => th.cellIndex);
  await header.locator('button').click();
  const cells = await table.locator(`tbody tr td:nth-child(${index + 1})`).evaluateAll((tds) =>
    tds.map((td) => (td.classList.contains('null') ? null : Number(td.innerText.replace(/,/g, '')))));
  const values = cells.filter((v) => v !== null);
  console.log(`rollup change_pct ascending: ${cells.join(' ')}`);
  assert.ok(values.some((v) => v < 0) && values.some((v) => v > 0), 'negative and positive changes');
  assert.deepEqual(values, [...values].sort((a, b) => a - b), 'ascending by value, negatives first');
  assert.equal(cells[cells.length - 1], null, 'the first month (no change: NULL) sorts last');
  // A month leads to the orders of that month.
  const month = table.locator('tbody tr td a').first();
  const text = (await month.innerText()).trim();
  await Promise.all([page.waitForURL(/\/reports\/orders\?/), month.click()]);
  assert.equal(new URL(page.url()).searchParams.get('month'), `${text}-01`);
  const last = await sectionOf(page, 'summary').locator('tbody td').nth(4).getAttribute('title');
  const lastShown = await sectionOf(page, 'summary').locator('tbody td').nth(4).innerText();
  assert.ok((last || lastShown).startsWith(text), `the orders are of ${text}: ${last || lastShown}`);
  assert.deepEqual(errors, [], 'no console errors');
  assert.deepEqual(csp.violations, [], 'nothing refused by the Content-Security-Policy');
  await context.close();
}

async function withoutJavaScript(browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/reports/dashboard?run=1`);
  // Charts are the server's SVG and the tables are complete; headers are plain text.
  assert.ok(await page.locator('svg[role=img]').count() >= 4);
  assert.equal(await page.locator('th button').count(), 0);
  assert.ok(await page.locator('td a[href*="/reports/customer?id="]').count() >= 10);
  await context.close();
}

runChecks([chartsVisible, fitsAPhone, sortsNumbersAsNumbers, linksLeadToTheRightReport, rollupJobResult,
  withoutJavaScript],
  'dashboard checks passed');
