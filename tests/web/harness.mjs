// What the browser tests share: the npm tools (or SKIP, exit 77, when they are missing), checks
// and their count, free ports, the JSON API, Debian's Chromium at phone width with page errors
// counted, axe-core, and clicking through to the next document.
import { createRequire } from 'module';
import fs from 'fs';
import net from 'net';
import path from 'path';

const require = createRequire((process.env.NODE_PATH || path.resolve('tests/node/node_modules')) + '/');
let chromium, axeSource;
try {
  ({ chromium } = require('playwright-core'));
  axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch (e) {
  console.log('SKIP: npm packages missing (run scripts/setup.sh test): ' + e.message);
  process.exit(77);
}
if (!fs.existsSync('/usr/bin/chromium')) { console.log('SKIP: /usr/bin/chromium missing'); process.exit(77); }

// failures: checks (and page errors) that failed; children: processes to stop at the end;
// axeProblems: serious or critical axe-core violations, "page: rule targets".
export const state = { failures: 0, children: [], axeProblems: [] };

export function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) state.failures++;
}
export function freePort() {
  return new Promise(res => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
}
// A JSON call: {status, json} (a body that is not JSON comes back as {text}).
export async function api(base, method, p, body, token) {
  const r = await fetch(base + p, { method, headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: 'Bearer ' + token } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const t = await r.text();
  let json = null;
  try { json = t ? JSON.parse(t) : null; } catch { json = { text: t }; }
  return { status: r.status, json };
}

export const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
export async function axe(page, name) {
  // evaluate() is not an inline <script>, so this works under the strictest CSP.
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () => await axe.run(document, { resultTypes: ['violations'] }));
  for (const v of res.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')) {
    state.axeProblems.push(`${name}: ${v.id} ${v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(', ')}`);
  }
}
export function checkAxe() {
  const p = state.axeProblems;
  check(p.length === 0, 'axe-core: no serious or critical violations' + (p.length ? ': ' + p.join('; ') : ''));
}
export async function newPage(opts = {}) {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', ...opts });
  const page = await ctx.newPage();
  page.on('pageerror', e => { console.log('page error: ' + e.message); state.failures++; });
  return { ctx, page };
}
// Clicks and waits for the new document (also when the URL stays the same, as after a re-render).
export async function clickAndLoad(page, selector) {
  await Promise.all([page.waitForEvent('framenavigated', { predicate: f => f === page.mainFrame() }), page.click(selector)]);
  await page.waitForLoadState('load');
}
