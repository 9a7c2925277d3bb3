// The Node.js peer of scripts/bench: the same pages as scripts/peers/reports/*.sql,
// one process, plain node:http, a pg pool of 32.
// Usage: node server.js PORT   (PGHOST, PGPORT, PGDATABASE, PGUSER from the environment)
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const { Pool } = require('pg');

const pool = new Pool({ max: 32 });
// An idle client's connection may break (PostgreSQL restarting): the pool drops it.
pool.on('error', (e) => console.error(`idle client: ${e.message}`));
const ONE = 'SELECT id, name, price FROM bench_items WHERE id = $1';

function idParam(params, name) {
  const v = Number(params.get(name));
  if (!Number.isInteger(v) || v < 1 || v > 10000) throw Object.assign(new Error(`${name}: must be an integer between 1 and 10000`), { status: 400 });
  return v;
}

function json(res, report, sections) {
  const body = JSON.stringify({ report, status: 'ok', sections });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const section = (name, r) => ({ name, status: 'ok', rows: r.rows.map((row) => Object.values(row)) });

// asyncpage's own page for the Fortunes report, with the table rows, times and
// count left out (BENCH_FORTUNES, written by scripts/bench before the Fortunes
// loads), read on first use: the same HTML as asyncpage sends.
let fortunesPage = null;
const fortunesTemplate = () => (fortunesPage ??= fs.readFileSync(process.env.BENCH_FORTUNES, 'utf8').split('@ROWS@'));

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const page = url.pathname.split('/').pop();
  switch (page) {
    case 'sleep1':
      return json(res, 'sleep1', [section('slept', await pool.query('SELECT 1 AS slept FROM pg_sleep(1)'))]);
    case 'trivial':
      return json(res, 'trivial', [section('one', await pool.query('SELECT 1 AS one'))]);
    case 'onerow':
      return json(res, 'onerow', [section('item', await pool.query({ name: 'one', text: ONE, values: [idParam(url.searchParams, 'id')] }))]);
    case 'twenty': {
      const ids = [];
      for (let i = 1; i <= 20; i++) ids.push(idParam(url.searchParams, `id${i}`));
      const results = await Promise.all(ids.map((id) => pool.query({ name: 'one', text: ONE, values: [id] })));
      return json(res, 'twenty', results.map((r, i) => section(`q${i + 1}`, r)));
    }
    case 'fortunes': {
      const t0 = process.hrtime.bigint();
      const rows = (await pool.query('SELECT id, message FROM fortune')).rows;
      rows.push({ id: 0, message: 'Additional fortune added at request time.' });
      rows.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
      const [head, tail] = fortunesTemplate();
      let html = head.replaceAll('@MS@', (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1));
      for (const r of rows) html += `<tr><td class="n">${r.id}</td><td>${escapeHtml(r.message)}</td></tr>\n`;
      html += tail.replace('@COUNT@', String(rows.length));
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html) });
      return res.end(html);
    }
    default:
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      return res.end('no such page\n');
  }
}

http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    res.writeHead(e.status || 500, { 'Content-Type': 'text/plain' });
    res.end(`${e.message}\n`);
  });
}).listen(Number(process.argv[2]), '127.0.0.1');
