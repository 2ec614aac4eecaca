// The county admin console in a real browser (Debian's Chromium through npm playwright-core),
// against the real gateway binary (--demo, temp database) and a mock upstream written here (a
// node http server on loopback). Proves the main admin tasks at phone width (360 px):
//  (a) connect a new upstream system: its own form registered from its field list, mapped onto
//      the dictionary with the coverage shown, its connector made from the registration (its
//      host allowed through the upstream-hosts allowlist), the fields it receives shown
//      (sensitive ones marked), the exact request previewed, a test send, a new version of the
//      unified form previewed as a cadre sees it and published, and the first real deliveries
//      arriving at the mock upstream and shown as delivered with their attempts;
//  (b) review a likely duplicate with the evidence side by side and merge it;
//  (c) read the dashboard: server-drawn charts that load, the numbers in tables;
// plus role checks (a cadre gets 403, an auditor reads the audit log), the pages working with
// JavaScript off, and axe-core on every admin page (no serious or critical violation).
// Screenshots are kept as artefacts.
// usage: node admin_browser_test.mjs YIBIAO_BIN ARTEFACT_DIR   (NODE_PATH: tests/node/node_modules)
import { spawn, execFileSync } from 'child_process';
import fs from 'fs';
import http from 'http';
import os from 'os';
import path from 'path';

import { state, check, freePort, api, browser, axe, checkAxe, newPage, clickAndLoad } from './harness.mjs';

const [yibiao, out] = process.argv.slice(2);
fs.mkdirSync(out, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-admin-web-'));
const DEMO_PW = 'web-Demo-pass-1', ADMIN_PW = 'web-Admin-pass-1';
const sleep = ms => new Promise(r => setTimeout(r, ms));

// ---- the mock upstream: records every request, answers {"data": {"id": ...}} ----
const received = [];
const mock = http.createServer((req, res) => {
  let body = '';
  req.on('data', d => { body += d; });
  req.on('end', () => {
    received.push({ method: req.method, url: req.url, headers: req.headers, body });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ code: 0, data: { id: 'ledger-' + received.length } }));
  });
});
await new Promise(r => mock.listen(0, '127.0.0.1', r));
const mockPort = mock.address().port;

// ---- the gateway ----
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
{
  const p = spawn(yibiao, ['serve', '--db', path.join(tmp, 'admin.db'), '--listen', `127.0.0.1:${port}`, '--demo'],
    { env: { ...process.env, YIBIAO_ADMIN_PASSWORD: ADMIN_PW, YIBIAO_DEMO_PASSWORD: DEMO_PW }, stdio: ['ignore', 'pipe', 'pipe'] });
  state.children.push(p);
  p.stdout.on('data', () => {});
  p.stderr.on('data', () => {});
}
for (let i = 0; i < 100; i++) { try { if ((await fetch(base + '/healthz')).ok) break; } catch {} await sleep(100); }
const sysAdmin = (await api(base, 'POST', '/api/v1/sessions', { username: 'admin', password: ADMIN_PW })).json.token;
const cadreTok = (await api(base, 'POST', '/api/v1/sessions', { username: 'cadre1', password: DEMO_PW })).json.token;
const sample = seed => JSON.parse(execFileSync(yibiao, ['sample-answer', '--seed', String(seed)])).values;

// 18-digit ID number with its check character (GB 11643).
function idNumber(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

async function login(page, user, pw = DEMO_PW, next = '/admin') {
  await page.goto(base + '/?next=' + encodeURIComponent(next));
  await page.fill('#username', user);
  await page.fill('#password', pw);
  await clickAndLoad(page, 'button.primary');
}
// No page is wider than the phone's screen (tables scroll inside their own box).
async function fitsPhone(page) {
  return await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

try {
  // ---- roles: a cadre is refused, whatever the URL ----
  {
    const { ctx, page } = await newPage();
    await login(page, 'cadre1', DEMO_PW, '/home');
    const r = await page.goto(base + '/admin/connectors');
    check(r.status() === 403, 'a cadre gets 403 on /admin/connectors');
    check((await page.goto(base + '/admin')).status() === 403, 'a cadre gets 403 on /admin');
    await ctx.close();
  }

  // ---- (a) connect a new upstream system and watch its first deliveries arrive ----
  const put = await api(base, 'PUT', '/api/v1/admin/upstream-hosts', { hosts: [`127.0.0.1:${mockPort}`] }, sysAdmin);
  check(put.status === 200, 'system admin allows the mock upstream host 127.0.0.1:' + mockPort);
  const { ctx: actx, page } = await newPage();
  await login(page, 'county1');
  check(new URL(page.url()).pathname === '/admin', 'county admin lands on /admin after login');
  await page.goto(base + '/admin/connectors');
  await axe(page, 'connectors');
  // Register the upstream system's own form from its field list; a mapping is suggested.
  await page.goto(base + '/admin/upstream-forms');
  await axe(page, 'upstream-forms');
  await page.fill('#uf-id', 'township_ledger');
  await page.fill('#uf-name', '乡镇民情台账');
  await page.fill('#uf-system', '南高乡');
  await page.fill('#uf-fields', 'xm,姓名\nsfzh,公民身份号码\ndh,联系电话\nhjdz,户籍地址\ndbzt,低保状态\nyzgm,养殖规模（头）');
  await clickAndLoad(page, '#register');
  check(new URL(page.url()).pathname === '/admin/upstream-forms/township_ledger', 'upstream form registered from its field list');
  check(await page.inputValue('#map-sfzh') === 'person.id_number', 'the ID number field was mapped by suggestion');
  // Map the rest by hand; coverage follows.
  for (const [k, v] of [['xm', 'person.name'], ['dh', 'person.phone'], ['hjdz', 'person.registered_address'], ['dbzt', 'welfare.low_income_status']]) {
    await page.selectOption('#map-' + k, v);
  }
  await page.selectOption('#map-yzgm', '');
  await clickAndLoad(page, '#save-mapping');
  check(await page.locator('#covered-n').textContent() === '5' && await page.locator('#missing-n').textContent() === '1', 'coverage shown: 5 covered, 1 missing');
  check((await page.locator('code.missing').allTextContents()).join() === 'yzgm', 'the missing field is named');
  await axe(page, 'upstream-form');
  await page.locator('#coverage').screenshot({ path: path.join(out, 'admin-upstream-coverage.png') });
  // Its connector: a host off the allowlist is refused, naming it; then the mock's.
  await page.fill('#mc-url', 'http://127.0.0.1:1/ledger');
  await page.check('#mc-plain');
  await clickAndLoad(page, '#make-connector');
  check(/127\.0\.0\.1:1/.test(await page.locator('#h-mkconn').locator('..').textContent()), 'a host off the allowlist is refused, naming it');
  await axe(page, 'upstream-form-errors');
  await page.fill('#mc-url', `http://127.0.0.1:${mockPort}/ledger`);
  await page.check('#mc-plain');
  await clickAndLoad(page, '#make-connector');
  check(new URL(page.url()).pathname === '/admin/connectors/township_ledger', 'its connector created from the registration');
  check(/已保存/.test(await page.locator('.notice').textContent()), 'the page says it was saved');
  const fields = await page.locator('#h-receives + .fields li').allTextContents();
  check(fields.length === 5 && fields.some(f => /person\.id_number/.test(f)), 'the fields it receives are listed: ' + fields.join(', '));
  check(await page.locator('#h-receives + .fields li.sensitive').count() >= 1, 'sensitive fields are marked');
  await axe(page, 'connector');
  // Preview: the exact request, nothing sent.
  await clickAndLoad(page, '#preview');
  const preview = await page.locator('#preview-result').textContent();
  check(preview.includes(`http://127.0.0.1:${mockPort}/ledger`) && /POST/.test(preview) && /"xm"/.test(preview), 'preview shows the exact request');
  check(received.length === 0, 'a preview sends nothing');
  await axe(page, 'connector-preview');
  await page.locator('#preview-result').screenshot({ path: path.join(out, 'admin-connector-preview.png') });
  // Test send: really sent, marked as a test.
  await clickAndLoad(page, '#test-send');
  check(/HTTP 200/.test(await page.locator('#test-result').textContent()), 'test send answered HTTP 200');
  check(received.length === 1 && received[0].headers['x-yibiao-test'] === '1', 'the mock upstream got the test request marked X-Yibiao-Test');

  // A new version of the unified form: draft, preview exactly as a cadre sees it, publish.
  await page.goto(base + '/admin/forms/resident_household');
  await axe(page, 'form-editor');
  const def = JSON.parse(await page.inputValue('#definition'));
  def.title['zh-CN'] = '居民及家庭信息采集表（2027版）';
  await page.fill('#definition', JSON.stringify(def, null, 2));
  await clickAndLoad(page, '#save-draft');
  const saved = await page.locator('.notice, #summary').first().textContent();
  check(/草稿已保存/.test(saved), 'draft saved: ' + saved.trim().slice(0, 300));
  await clickAndLoad(page, '#preview-form');
  check(/2027版/.test(await page.locator('h1').textContent()) && await page.locator('[name="person.id_number"]').count() === 1, 'the draft previewed as the cadre form');
  check(/预览/.test(await page.locator('#preview-notice').textContent()) && (await page.locator('#summary').textContent()).trim() === '', 'marked as a preview, with no error shown');
  await axe(page, 'form-preview');
  await page.screenshot({ path: path.join(out, 'admin-form-preview.png'), fullPage: false });
  await page.goto(base + '/admin/forms/resident_household');
  await clickAndLoad(page, '#publish');
  check(/已发布/.test(await page.locator('.notice').textContent()), 'published');
  await page.goto(base + '/admin/org-units');
  await axe(page, 'org-units');
  await page.goto(base + '/admin/forms');
  await axe(page, 'forms');
  await page.goto(base + '/admin/dictionary');
  await axe(page, 'dictionary');
  // A cadre's answers now go to the new system too.
  for (const seed of [21, 22]) {
    const r = await api(base, 'POST', '/api/v1/submissions', { form: 'resident_household', client_id: 'adm-' + seed, values: sample(seed) }, cadreTok);
    check(r.status === 201, 'cadre answer ' + seed + ' stored');
  }
  for (let i = 0; i < 80 && received.filter(r => !r.headers['x-yibiao-test']).length < 2; i++) await sleep(250);
  const real = received.filter(r => !r.headers['x-yibiao-test']);
  check(real.length === 2, 'the first two deliveries arrived at the mock upstream: ' + real.length);
  check(real.every(r => { const b = JSON.parse(r.body); return b.xm && b.sfzh && r.headers['idempotency-key']; }), 'each carries the mapped fields and an Idempotency-Key');
  let delivered = 0;
  for (let i = 0; i < 40; i++) {
    await page.goto(base + '/admin/deliveries?status=delivered&connector=township_ledger');
    delivered = await page.locator('tbody tr').count();
    if (delivered >= 2) break;
    await sleep(250);
  }
  check(delivered === 2, 'the deliveries page shows both as delivered');
  await axe(page, 'deliveries');
  await page.screenshot({ path: path.join(out, 'admin-deliveries.png'), fullPage: false });
  check(await fitsPhone(page), 'deliveries page fits 360 px');
  await clickAndLoad(page, 'tbody tr:first-child a');
  check(/200/.test(await page.locator('#h-attempts + .table-wrap').textContent()), 'a delivery shows its attempt with HTTP 200');
  await axe(page, 'delivery');
  await page.goto(base + '/admin/deliveries');
  await axe(page, 'deliveries-all');

  // ---- (b) review and merge a duplicate ----
  const dupId = idNumber('13011120150303011');
  {
    const v = sample(7);
    v['household.size'] = 3;
    v['household.members'].push({ name: '孙小明', sex: '1', relation: '20', birth_date: '2015-03-03' });
    const r1 = await api(base, 'POST', '/api/v1/submissions', { form: 'resident_household', client_id: 'dup-1', values: v }, cadreTok);
    const h = sample(8);
    const id = dupId;
    Object.assign(h, { 'person.name': '孫小明', 'person.id_number': id, 'person.birth_date': '2015-03-03', 'person.sex': '1', 'household.size': 1 });
    h['household.members'] = [{ name: '孙小明', id_number: id, sex: '1', relation: '02' }];
    const r2 = await api(base, 'POST', '/api/v1/submissions', { form: 'resident_household', client_id: 'dup-2', values: h }, cadreTok);
    check(r1.status === 201 && r2.status === 201, 'two answers about the same child stored');
  }
  await page.goto(base + '/admin/duplicates');
  const cards = page.locator('.dup-card');
  check(await cards.count() >= 1, 'the review queue lists the likely duplicate');
  const card = cards.filter({ hasText: '孙小明' }).first();
  const evidence = await card.locator('table').textContent();
  check(evidence.includes('孙小明') && evidence.includes('2015-03-03') && evidence.includes(dupId), 'the evidence is side by side');
  await axe(page, 'duplicates');
  await card.screenshot({ path: path.join(out, 'admin-duplicates.png') });
  check(await fitsPhone(page), 'duplicates page fits 360 px');
  const pair = await card.getAttribute('data-pair');
  await Promise.all([page.waitForURL(/status=merged/), card.locator('button.merge').click()]);
  check(/已合并/.test(await page.locator('.notice').textContent()), 'merge confirmed on the page');
  check(await page.locator(`.dup-card[data-pair="${pair}"]`).count() === 1, 'the pair is listed as merged, with an undo button');
  await axe(page, 'duplicates-merged');

  // ---- (c) the dashboard ----
  await page.goto(base + '/admin');
  for (let i = 0; i < 20; i++) {
    if (await page.evaluate(() => [...document.images].every(i => i.complete))) break;
    await sleep(100);
  }
  const imgs = await page.evaluate(() => [...document.images].map(i => ({ src: i.getAttribute('src'), w: i.naturalWidth, alt: i.alt })));
  check(imgs.length === 5 && imgs.every(i => i.w > 0 && i.alt), 'five server-drawn charts load, each with a text alternative: ' + imgs.map(i => i.src + ':' + i.w).join(' '));
  const health = await page.locator('#h-health + .table-wrap').textContent();
  check(/乡镇民情台账/.test(health), 'the health table lists the new system');
  check(!(await page.content()).includes('cadre1'), 'no cadre named on the dashboard');
  check(/乡镇民情台账/.test(await page.locator('#h-upstream ~ .table-wrap').textContent()), 'the upstream form and its coverage are on the dashboard');
  check(await page.locator('#h-days ~ details tbody tr').count() === 30, 'one row per day (30 days)');
  await axe(page, 'dashboard');
  await page.screenshot({ path: path.join(out, 'admin-dashboard.png'), fullPage: false });
  await page.locator('section[aria-labelledby=h-health]').screenshot({ path: path.join(out, 'admin-dashboard-health.png') });
  await page.locator('.charts').screenshot({ path: path.join(out, 'admin-dashboard-charts.png') });
  check(await fitsPhone(page), 'dashboard fits 360 px');
  await page.goto(base + '/admin/users');
  await axe(page, 'users');
  await page.goto(base + '/admin/connectors');
  await page.screenshot({ path: path.join(out, 'admin-connectors.png'), fullPage: false });
  // Uyghur, right to left.
  await clickAndLoad(page, 'a[hreflang="ug"]');
  check(await page.evaluate(() => document.documentElement.dir) === 'rtl', 'admin pages in Uyghur are right to left');
  await page.goto(base + '/admin');
  await axe(page, 'dashboard-ug');
  await page.screenshot({ path: path.join(out, 'admin-dashboard-ug.png'), fullPage: false });
  await actx.close();

  // ---- the auditor: reads the audit log, changes nothing ----
  {
    const { ctx, page: p } = await newPage();
    await login(p, 'auditor1');
    await p.goto(base + '/admin/audit?actor=county1');
    const text = await p.locator('main').textContent();
    check(/township_ledger/.test(text) && /county1/.test(text), 'the audit log shows who created the connector');
    check(await p.locator('main form[method=post]').count() === 0, 'the audit page has nothing to submit');
    await axe(p, 'audit');
    await p.screenshot({ path: path.join(out, 'admin-audit.png'), fullPage: false });
    check((await p.goto(base + '/admin/connectors')).status() === 403, 'an auditor gets 403 on connectors');
    await p.goto(base + '/admin/users');
    check(await p.locator('#create-user').count() === 0, 'an auditor is offered no account changes');
    await ctx.close();
  }

  // ---- JavaScript off: pause and resume the new system ----
  {
    const { ctx, page: p } = await newPage({ javaScriptEnabled: false });
    await login(p, 'county1');
    await p.goto(base + '/admin/connectors/township_ledger');
    await clickAndLoad(p, '#pause-toggle');
    check(/已暂停/.test(await p.locator('.notice').textContent()), 'paused without JavaScript');
    await clickAndLoad(p, '#pause-toggle');
    check(/已恢复/.test(await p.locator('.notice').textContent()), 'resumed without JavaScript');
    await ctx.close();
  }
  checkAxe();
} catch (e) {
  console.log('FAIL ' + (e.stack || e));
  state.failures++;
} finally {
  await browser.close();
  for (const c of state.children) c.kill('SIGTERM');
  mock.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(state.failures ? `${state.failures} check(s) failed` : 'all admin browser checks hold; screenshots in ' + out);
process.exit(state.failures ? 1 : 0);
