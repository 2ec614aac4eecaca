// The cadre's web pages in a real browser (Debian's Chromium through npm playwright-core), against
// the real gateway binary (--demo, temp database) and the mock upstream systems, so deliveries
// really turn delivered. Proves: login; a household form with two members; validation errors
// shown and fixed without losing what was typed; the receipt's per-upstream statuses; the same
// with JavaScript off; the offline queue stores exactly one submission; elder mode and Uyghur
// right-to-left (screenshots kept as artefacts); a resident opened from the village list with
// prefilled, marked fields, counted as prefilled on the receipt, then corrected (an update
// upstream); axe-core finds no serious or critical violation on any page.
// usage: node browser_test.mjs YIBIAO_BIN MOCK_UPSTREAM_BIN ARTEFACT_DIR   (NODE_PATH: tests/node/node_modules)
import { spawn, execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

import { state, check, freePort, api, browser, axe, checkAxe, newPage, clickAndLoad } from './harness.mjs';

const [yibiao, mockBin, out] = process.argv.slice(2);
fs.mkdirSync(out, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yb-web-'));
const DEMO_PW = 'web-Demo-pass-1', ADMIN_PW = 'web-Admin-pass-1';
function start(bin, args, env, ready) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    state.children.push(p);
    let text = '';
    const on = d => { text += d; const m = ready(text); if (m) resolve(m); };
    p.stdout.on('data', on);
    p.stderr.on('data', on);
    p.on('exit', c => reject(new Error(bin + ' exited ' + c + ': ' + text)));
    setTimeout(() => reject(new Error(bin + ' did not start: ' + text)), 20000);
  });
}

// ---- start the mock upstreams and the gateway; point the demo connectors at the mock ----
const mockUrl = await start(mockBin, ['--listen', '127.0.0.1:0', '--demo'], {}, t => (/listening on (http:\/\/\S+)/.exec(t) || [])[1]);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
start(yibiao, ['serve', '--db', path.join(tmp, 'web.db'), '--listen', `127.0.0.1:${port}`, '--demo'],
  { YIBIAO_ADMIN_PASSWORD: ADMIN_PW, YIBIAO_DEMO_PASSWORD: DEMO_PW },
  () => null).catch(() => {});
for (let i = 0; i < 100; i++) { try { if ((await fetch(base + '/healthz')).ok) break; } catch {} await new Promise(r => setTimeout(r, 100)); }
const admin = (await api(base, 'POST', '/api/v1/sessions', { username: 'admin', password: ADMIN_PW })).json.token;
for (const c of (await api(base, 'GET', '/api/v1/admin/connectors', null, admin)).json.connectors || []) {
  const full = (await api(base, 'GET', '/api/v1/admin/connectors/' + c.id, null, admin)).json.connector;
  if (typeof full.url === 'string' && full.url.startsWith('http://127.0.0.1:18080')) {
    full.url = full.url.replace('http://127.0.0.1:18080', mockUrl);
    const put = await api(base, 'PUT', '/api/v1/admin/connectors/' + c.id, full, admin);
    if (put.status >= 300) throw new Error('repointing ' + c.id + ': ' + JSON.stringify(put.json));
  }
}
const sample = seed => JSON.parse(execFileSync(yibiao, ['sample-answer', '--seed', String(seed)])).values;

async function login(page) {
  await page.goto(base + '/');
  await page.fill('#username', 'cadre1');
  await page.fill('#password', DEMO_PW);
  await Promise.all([page.waitForURL(/\/home$/), page.click('button.primary')]);
}
async function setField(page, name, value) {
  const els = page.locator(`[name="${name}"]`);
  const n = await els.count();
  if (n === 0) throw new Error('no field ' + name);
  const first = els.first();
  const tag = await first.evaluate(e => e.tagName + ':' + (e.type || ''));
  if (tag.endsWith(':radio') || tag.endsWith(':checkbox')) {
    for (const v of Array.isArray(value) ? value : [String(value)]) await page.check(`[name="${name}"][value="${v}"]`);
  } else if (tag.startsWith('SELECT')) {
    await first.selectOption(String(value));
  } else if (!(await first.evaluate(e => e.readOnly))) {
    await first.fill(String(value));
  }
}
// Fills the demo form with a sample answer: members added with the page's own "add" button.
async function fill(page, values) {
  const members = values['household.members'] || [];
  // In the page's order: a question that decides whether later ones are asked comes first.
  const order = await page.locator('[data-key]').evaluateAll(es => es.map(e => e.dataset.key));
  const keys = Object.keys(values).filter(k => k !== 'household.members').sort((a, b) => order.indexOf(a) - order.indexOf(b));
  for (const k of keys) await setField(page, k, values[k]);
  for (let i = 0; i < members.length; i++) {
    if (i > 0) await page.click('button.add');
    const names = await page.locator('.members > .member').last().locator('[name]').evaluateAll(es => es.map(e => e.name));
    const prefix = /^(.*\[\w+\]\.)/.exec(names[0])[1];
    for (const [k, v] of Object.entries(members[i])) await setField(page, prefix + k, v);
  }
}
async function storedCount(page) {
  await page.goto(base + '/home');
  return await page.locator('.sub-card').count();
}
// Delivery statuses on the receipt, except the spreadsheet upstream's (it waits for a county
// admin's export): done when every HTTP upstream shows delivered (✓) or not needed (–).
async function httpStatuses(page) {
  return await page.locator('#deliveries li:not([data-connector=population_register]) .status').allTextContents();
}
const allDone = texts => texts.length >= 3 && texts.every(t => /^[✓–]/.test(t)) && texts.filter(t => t.includes('✓ 已送达')).length >= 2;
async function waitDelivered(page) {
  // The receipt polls /submissions/{id}/status and updates in place.
  for (let i = 0; i < 80; i++) {
    const texts = await httpStatuses(page);
    if (allDone(texts)) return texts;
    await page.waitForTimeout(250);
  }
  return await httpStatuses(page);
}

try {
  // ---- 1. JavaScript on: errors, fix, receipt ----
  {
    const { ctx, page } = await newPage();
    await page.goto(base + '/');
    check(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'login page is zh-CN');
    await axe(page, 'login');
    await login(page);
    await axe(page, 'home');
    await Promise.all([page.waitForURL(/\/forms\/resident_household$/), page.click('a[href="/forms/resident_household"]')]);
    await axe(page, 'form');
    const v = sample(11);
    check(v['household.members'].length === 2, 'sample household has two members');
    const goodId = v['person.id_number'];
    const badId = goodId.slice(0, 17) + (goodId[17] === '1' ? '2' : '1');
    await fill(page, { ...v, 'person.id_number': badId, 'person.name': '' });
    check(await page.locator('.members > .member').count() === 2, 'two member items on the page');
    // relevance applied live: disability questions follow person.has_disability
    await page.check('[name="person.has_disability"][value="false"]');
    check(await page.locator('[data-key="disability.type"]').isHidden(), 'disability type hidden when has_disability = no');
    await page.check('[name="person.has_disability"][value="true"]');
    check(await page.locator('[data-key="disability.type"]').isVisible(), 'disability type shown when has_disability = yes');
    await page.check(`[name="person.has_disability"][value="${v['person.has_disability']}"]`);
    check(/^\d+$/.test(await page.inputValue('[name="person.age"]')), 'age calculated live from the birth date');
    await clickAndLoad(page, 'button.submit');
    const summary = await page.locator('#summary').textContent();
    check(/需要修改/.test(summary) && /姓名/.test(summary) && /身份证/.test(summary), 'error summary names both problems: ' + summary.slice(0, 80));
    check((await page.locator('#f-person-id_number-w .err').textContent()).length > 0, 'error beside the ID number field');
    check(await page.inputValue('[name="person.id_number"]') === badId, 'typed ID number kept after rejection');
    check(await page.inputValue('[name="person.registered_address"]') === v['person.registered_address'], 'other answers kept after rejection');
    check(await page.locator('.members > .member').count() === 2, 'both members kept after rejection');
    await axe(page, 'form-errors');
    await page.fill('[name="person.id_number"]', goodId);
    await page.fill('[name="person.name"]', v['person.name']);
    await Promise.all([page.waitForURL(/\/submissions\/\d+$/), page.click('button.submit')]);
    const names = await page.locator('#deliveries .dept').allTextContents();
    check(names.length >= 3, 'receipt lists the upstream systems: ' + names.join(', '));
    const statuses = await waitDelivered(page);
    check(allDone(statuses), 'receipt shows deliveries turning 已送达: ' + statuses.join(' | '));
    check(/\*{6,}/.test(await page.locator('#receipt').textContent()), 'ID number masked on the receipt');
    check(!(await page.content()).includes(goodId), 'full ID number not on the receipt');
    await axe(page, 'receipt');
    await page.screenshot({ path: path.join(out, 'receipt.png'), fullPage: true });
    await page.goto(base + '/forms/resident_household/print');
    await axe(page, 'print');
    await page.goto(base + '/home');
    check(!(await page.content()).includes(goodId), 'full ID number not on the home list');
    await ctx.close();
  }

  // ---- 2. JavaScript off: plain form posts ----
  {
    const { ctx, page } = await newPage({ javaScriptEnabled: false });
    await login(page);
    const before = await storedCount(page);
    await page.goto(base + '/forms/resident_household');
    const v = sample(12);
    const [m0, m1] = v['household.members'];
    const top = { ...v };
    delete top['household.members'];
    for (const [k, val] of Object.entries(top)) await setField(page, k, val);  // no JS: all shown
    for (const [k, val] of Object.entries(m0)) await setField(page, `household.members[0].${k}`, val);
    // "add one" without JS: the server answers the same page with one more item, answers kept
    await clickAndLoad(page, 'button.add');
    check(await page.locator('.members > .member').count() === 2, 'no-JS: server added a second member');
    check(await page.inputValue('[name="household.members[0].name"]') === m0.name, 'no-JS: first member kept after adding');
    for (const [k, val] of Object.entries(m1)) await setField(page, `household.members[1].${k}`, val);
    await page.fill('[name="household.size"]', '八');
    await clickAndLoad(page, 'button.submit');
    check(/家庭人口数/.test(await page.locator('#summary').textContent()), 'no-JS: error summary after a bad household size');
    check(await page.inputValue('[name="household.size"]') === '八', 'no-JS: the bad value is shown back to fix');
    check(await page.inputValue('[name="household.members[1].name"]') === m1.name, 'no-JS: second member kept');
    await page.fill('[name="household.size"]', String(v['household.size']));
    await page.check('[name="_channel"][value="paper"]');
    await page.fill('[name="_paper_ref"]', 'P-2026-001');
    await Promise.all([page.waitForURL(/\/submissions\/\d+$/), page.click('button.submit')]);
    const receipt = await page.locator('#receipt').textContent();
    check(/纸质表/.test(receipt) && /P-2026-001/.test(receipt), 'no-JS: receipt shows the assisted-entry channel and paper number');
    let statuses = [];
    for (let i = 0; i < 40; i++) {  // no polling without JS: reload
      statuses = await httpStatuses(page);
      if (allDone(statuses)) break;
      await page.waitForTimeout(250);
      await page.reload();
    }
    check(allDone(statuses), 'no-JS: receipt shows delivered after reload: ' + statuses.join(' | '));
    check(await storedCount(page) === before + 1, 'no-JS: one more stored submission');
    await ctx.close();
  }

  // ---- 3. Offline: queued on the device, sent once when the signal returns ----
  {
    const { ctx, page } = await newPage();
    await login(page);
    const before = await storedCount(page);
    await page.goto(base + '/forms/resident_household');
    await fill(page, sample(13));
    await ctx.setOffline(true);
    await page.click('button.submit');
    await page.waitForSelector('#queue-list .queue-item');
    check(/等待网络恢复/.test(await page.locator('#queue-list').textContent()), 'offline: the page lists what is waiting to be sent');
    check(/没有网络/.test(await page.locator('#net-status').textContent()), 'offline: the page says it is offline');
    const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('yb.queue')));
    check(queued.length === 1 && queued[0].client_id.length > 0, 'offline: one queued submission with its client id');
    await ctx.setOffline(false);
    await page.reload();
    for (let i = 0; i < 40; i++) {
      if ((await page.evaluate(() => JSON.parse(localStorage.getItem('yb.queue') || '[]'))).length === 0) break;
      await page.waitForTimeout(250);
    }
    check((await page.evaluate(() => JSON.parse(localStorage.getItem('yb.queue') || '[]'))).length === 0, 'online again: the queue is sent and empty');
    // The same queued post sent again (a second tab, a lost answer) is stored once: its client id.
    const again = await page.evaluate(async b => (await fetch('/forms/resident_household', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: b })).url, queued[0].body);
    check(/\/submissions\/\d+$/.test(again), 'resending the queued post answers with the same receipt');
    check(await storedCount(page) === before + 1, 'offline: exactly one stored submission');
    await ctx.close();
  }

  // ---- 4. Drafts survive a reload ----
  {
    const { ctx, page } = await newPage();
    await login(page);
    await page.goto(base + '/forms/resident_household');
    await page.fill('[name="person.name"]', '草稿测试');
    await page.click('button.add');
    await page.fill('[name="person.registered_address"]', '南高村1组');
    await page.waitForTimeout(700);
    await page.reload();
    check(await page.inputValue('[name="person.name"]') === '草稿测试', 'draft restored after reload');
    check(await page.locator('.members > .member').count() === 2, 'draft restores the added member');
    await page.goto(base + '/home');
    check(await page.locator('#draft-list a[href="/forms/resident_household"]').count() === 1, 'home lists the draft on this device');
    await ctx.close();
  }

  // ---- 5. Elder mode and Uyghur right to left ----
  {
    const { ctx, page } = await newPage();
    await login(page);
    await page.goto(base + '/forms/resident_household');
    await clickAndLoad(page, 'a.elder-toggle');
    check(await page.evaluate(() => document.documentElement.classList.contains('elder')), 'elder mode on after one tap');
    const m = await page.evaluate(() => {
      const i = document.querySelector('input[name="person.name"]');
      const cs = getComputedStyle(document.body);
      return { font: parseFloat(cs.fontSize), line: parseFloat(cs.lineHeight) / parseFloat(cs.fontSize), target: i.getBoundingClientRect().height, btn: document.querySelector('button.submit').getBoundingClientRect().height };
    });
    check(m.font >= 18 && m.line >= 1.3 && m.target >= 60 && m.btn >= 60, `elder mode: text ${m.font}px, line ${m.line.toFixed(2)}, input ${m.target}px, button ${m.btn}px`);
    await page.goto(base + '/home');
    check(await page.evaluate(() => document.documentElement.classList.contains('elder')), 'elder mode remembered on the next page');
    await page.goto(base + '/forms/resident_household');
    await axe(page, 'form-elder');
    await page.screenshot({ path: path.join(out, 'elder-form.png'), fullPage: false });
    await clickAndLoad(page, 'a[hreflang="ug"]');
    check(await page.evaluate(() => document.documentElement.dir) === 'rtl' && await page.evaluate(() => document.documentElement.lang) === 'ug', 'Uyghur page is dir=rtl lang=ug');
    check(/ئائىلە/.test(await page.locator('h1').textContent()), 'Uyghur form title');
    await axe(page, 'form-ug');
    await page.screenshot({ path: path.join(out, 'ug-form.png'), fullPage: false });
    await page.goto(base + '/home');
    await page.screenshot({ path: path.join(out, 'ug-home.png'), fullPage: false });
    await clickAndLoad(page, 'a[hreflang="en"]');
    check(await page.evaluate(() => document.documentElement.dir) === 'ltr', 'English page is ltr');
    await ctx.close();
  }
  // ---- 6. Prefill from the village list, one change, the prefilled count; a correction ----
  {
    const { ctx, page } = await newPage();
    await login(page);
    const v = sample(11);  // the household stored in step 1
    await page.fill('#village-q', v['person.name']);
    await clickAndLoad(page, 'form.search button');
    const people = page.locator('.people .person');
    check(await people.count() >= 1, 'the resident is listed in the village (search by name)');
    check(!(await page.content()).includes(v['person.id_number']), 'ID numbers masked on the village list');
    await axe(page, 'home-village');
    await page.screenshot({ path: path.join(out, 'village.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/forms\/resident_household\?subject=\d+$/), people.first().locator('a.primary').click()]);
    await page.waitForLoadState('load');
    check(await page.inputValue('[name="person.name"]') === v['person.name'], 'name prefilled');
    check(await page.inputValue('[name="household.members[1].name"]') === v['household.members'][1].name, 'household member prefilled');
    const marks = await page.locator('p.prefill').count();
    check(marks >= 10, `prefilled fields marked (${marks})`);
    check(/已有信息：.* 由 cadre1 在《/.test(await page.locator('#f-person-phone-pf').textContent()), 'mark says when, who and in which form');
    check((await page.getAttribute('[name="person.phone"]', 'aria-describedby')).includes('f-person-phone-pf'), 'mark read out with the field');
    check(/预先填好/.test(await page.locator('.prefill-banner').textContent()), 'banner says what was prefilled');
    await axe(page, 'form-prefilled');
    await page.screenshot({ path: path.join(out, 'prefilled-form.png'), fullPage: false });
    await page.fill('[name="person.phone"]', '13912345678');
    await Promise.all([page.waitForURL(/\/submissions\/\d+$/), page.click('button.submit')]);
    const burden = await page.locator('#burden').textContent();
    const m = /本次填写 (\d+) 项，预填 (\d+) 项/.exec(burden);
    check(m && +m[2] > 10 && +m[1] >= 1 && +m[1] <= 2, 'receipt counts the prefilled answers: ' + burden);
    await axe(page, 'receipt-prefilled');
    const n = page.url().split('/').pop();
    // The correction: opened from the receipt with the stored values.
    await clickAndLoad(page, `a[href="/forms/resident_household?correct=${n}"]`);
    check(new RegExp(`正在更正第 ${n} 号`).test(await page.locator('.correcting').textContent()), 'correction notice on the form');
    check(await page.inputValue('[name="person.phone"]') === '13912345678', 'correction starts from the stored values');
    await axe(page, 'form-correction');
    await page.fill('[name="person.current_address"]', '示范县南高乡南高村3组8号');
    await Promise.all([page.waitForURL(/\/submissions\/\d+$/), page.click('button.submit')]);
    const corrected = await page.locator('#receipt').textContent();
    check(new RegExp(`更正了第 ${n} 号`).test(corrected), 'receipt: 更正了第 N 号');
    const cm = /本次填写 (\d+) 项，预填 (\d+) 项/.exec(await page.locator('#burden').textContent());
    check(cm && +cm[1] === 1 && +cm[2] > 10, 'correction: only the changed answer typed, the rest prefilled');
    const statuses = await waitDelivered(page);
    check(allDone(statuses), 'correction delivered: ' + statuses.join(' | '));
    await axe(page, 'receipt-correction');
    await page.screenshot({ path: path.join(out, 'correction-receipt.png'), fullPage: true });
    const puts = (await (await fetch(mockUrl + '/_mock/requests')).json()).filter(r => r.method === 'PUT');
    check(puts.length >= 2, 'upstreams got the correction as updates (PUT): ' + puts.map(r => r.path).join(', '));
    await page.goto(base + '/submissions/' + n);
    check(/已被第 \d+ 号更正/.test(await page.locator('#receipt').textContent()), 'the earlier receipt names its correction');
    await ctx.close();
  }
  checkAxe();
} catch (e) {
  console.log('FAIL ' + (e.stack || e));
  state.failures++;
} finally {
  await browser.close();
  for (const c of state.children) c.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(state.failures ? `${state.failures} check(s) failed` : 'all browser checks hold; screenshots in ' + out);
process.exit(state.failures ? 1 : 0);
