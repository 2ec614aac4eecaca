// Yibiao cadre pages: a little plain JavaScript on top of pages that work without it.
// Relevance and calculated fields applied live (the server checks again), repeat items added
// and removed in place, drafts kept on the device, submissions made offline queued and sent
// later with their original client id, and the receipt's delivery progress polled.
'use strict';
(function () {
  var $ = function (s, r) { return (r || document).querySelector(s); };
  var $$ = function (s, r) { return Array.prototype.slice.call((r || document).querySelectorAll(s)); };
  var i18nEl = document.getElementById('i18n');
  function T(k) {
    var key = k.replace(/_([a-z])/g, function (_, c) { return c.toUpperCase(); });
    return (i18nEl && i18nEl.dataset[key]) || k;
  }
  function load(k, d) { try { var v = JSON.parse(localStorage.getItem(k)); return v == null ? d : v; } catch (e) { return d; } }
  function save(k, v) { if (!k) return; try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* full or disabled */ } }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var a in attrs || {}) e.setAttribute(a, attrs[a]);
    if (text != null) e.textContent = text;
    return e;
  }

  // ---- The expression language (docs/expressions.md), enough to show and hide live. ----
  function tokenize(src) {
    var toks = [], i = 0, m;
    var re = /\s*(?:(\d+(?:\.\d+)?)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|\$\{([A-Za-z0-9_.\-]+)\}|([A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*)|(!=|<=|>=|[=<>+\-*\/(),.]))/y;
    while (i < src.length) {
      re.lastIndex = i;
      m = re.exec(src);
      if (!m) { if (/^\s*$/.test(src.slice(i))) break; throw new Error('syntax'); }
      i = re.lastIndex;
      if (m[1] != null) toks.push({ t: 'num', v: parseFloat(m[1]) });
      else if (m[2] != null || m[3] != null) toks.push({ t: 'str', v: (m[2] != null ? m[2] : m[3]).replace(/\\(.)/g, '$1') });
      else if (m[4] != null) toks.push({ t: 'ref', v: m[4] });
      else if (m[5] != null) toks.push({ t: 'name', v: m[5] });
      else toks.push({ t: 'op', v: m[6] });
    }
    return toks;
  }
  function parse(src) {
    var toks = tokenize(src), p = 0;
    function peek(v) { var t = toks[p]; return t && (t.t === 'op' || t.t === 'name') && t.v === v; }
    function eat(v) { if (peek(v)) { p++; return true; } return false; }
    function bin(next, ops) {
      return function () {
        var l = next();
        for (;;) {
          var op = ops.filter(peek)[0];
          if (!op) return l;
          p++;
          l = { op: op, l: l, r: next() };
        }
      };
    }
    function primary() {
      var t = toks[p++];
      if (!t) throw new Error('syntax');
      if (t.t === 'num' || t.t === 'str') return { lit: t.v };
      if (t.t === 'ref') return { ref: t.v };
      if (t.t === 'op' && t.v === '.') return { cur: 1 };
      if (t.t === 'op' && t.v === '(') { var e = or(); if (!eat(')')) throw new Error('syntax'); return e; }
      if (t.t === 'name') {
        if (t.v === 'true') return { lit: true };
        if (t.v === 'false') return { lit: false };
        if (t.v === 'null') return { lit: null };
        if (eat('(')) {
          var args = [];
          if (!eat(')')) { do { args.push(or()); } while (eat(',')); if (!eat(')')) throw new Error('syntax'); }
          return { fn: t.v, args: args };
        }
      }
      throw new Error('syntax');
    }
    function unary() { return eat('-') ? { op: 'neg', l: unary() } : primary(); }
    var mul = bin(unary, ['*', '/', 'mod']);
    var add = bin(mul, ['+', '-']);
    function cmp() {
      var l = add(), op = ['!=', '<=', '>=', '=', '<', '>'].filter(peek)[0];
      if (!op) return l;
      p++;
      return { op: op, l: l, r: add() };
    }
    function not() { return eat('not') ? { op: 'not', l: not() } : cmp(); }
    var and = bin(not, ['and']);
    var or = bin(and, ['or']);
    var tree = or();
    if (p !== toks.length) throw new Error('syntax');
    return tree;
  }
  function truthy(v) { return v === true || (typeof v === 'number' && v !== 0) || (typeof v === 'string' && v !== ''); }
  function num(v) { if (typeof v === 'number') return v; if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return parseFloat(v); if (typeof v === 'boolean') return v ? 1 : 0; return null; }
  function str(v) { return v == null ? null : Array.isArray(v) ? v.join(' ') : String(v); }
  function days(d) { var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d || ''); return m ? Date.UTC(+m[1], m[2] - 1, +m[3]) / 864e5 : null; }
  function eq(a, b) {
    if (a == null || b == null) return a == null && b == null;
    if (typeof a === 'number' || typeof b === 'number') return num(a) === num(b);
    if (typeof a === 'boolean' || typeof b === 'boolean') return truthy(a) === truthy(b);
    return String(a) === String(b);
  }
  var FN = {
    count: function (a) { return Array.isArray(a[0]) ? a[0].filter(function (x) { return x != null; }).length : a[0] == null ? 0 : 1; },
    sum: function (a) { return (Array.isArray(a[0]) ? a[0] : [a[0]]).reduce(function (s, x) { return s + (num(x) || 0); }, 0); },
    today: function (a, ctx) { return ctx.today; },
    age: function (a, ctx) {
      var b = /^(\d{4})-(\d{2})-(\d{2})$/.exec(a[0] || ''), t = /^(\d{4})-(\d{2})-(\d{2})$/.exec(ctx.today);
      if (!b || !t) return null;
      var y = t[1] - b[1];
      if (t[2] + t[3] < b[2] + b[3]) y--;
      return y;
    },
    'if': function (a) { return truthy(a[0]) ? a[1] : a[2]; },
    selected: function (a) { var l = Array.isArray(a[0]) ? a[0] : a[0] == null ? [] : String(a[0]).split(/[\s,]+/); return l.indexOf(str(a[1])) >= 0; },
    'string-length': function (a) { return a[0] == null ? 0 : Array.from(str(a[0])).length; },
    empty: function (a) { return a[0] == null || a[0] === '' || (Array.isArray(a[0]) && !a[0].length); },
    coalesce: function (a) { for (var i = 0; i < a.length; i++) if (a[i] != null && a[i] !== '') return a[i]; return null; },
    regex: function (a) { try { return a[0] == null ? false : new RegExp('^(?:' + a[1] + ')$').test(str(a[0])); } catch (e) { return false; } },
    substr: function (a) { if (a[0] == null) return null; var s = Array.from(str(a[0])); return s.slice(num(a[1]), a.length > 2 ? num(a[1]) + num(a[2]) : undefined).join(''); },
    date: function (a) { return str(a[0]); },
    number: function (a) { return num(a[0]); },
    string: function (a) { return str(a[0]); },
    round: function (a) { var f = Math.pow(10, num(a[1]) || 0), n = num(a[0]); return n == null ? null : Math.round(n * f) / f; },
    min: function (a) { var l = [].concat.apply([], a).map(num).filter(function (x) { return x != null; }); return l.length ? Math.min.apply(null, l) : null; },
    max: function (a) { var l = [].concat.apply([], a).map(num).filter(function (x) { return x != null; }); return l.length ? Math.max.apply(null, l) : null; },
    'days-between': function (a) { var x = days(a[0]), y = days(a[1]); return x == null || y == null ? null : y - x; }
  };
  function evaluate(n, ctx) {
    if ('lit' in n) return n.lit;
    if (n.ref) return ctx.ref(n.ref);
    if (n.cur) return ctx.cur;
    if (n.fn) { var f = FN[n.fn]; if (!f) throw new Error('fn'); return f(n.args.map(function (a) { return evaluate(a, ctx); }), ctx); }
    var l = evaluate(n.l, ctx);
    switch (n.op) {
      case 'neg': return num(l) == null ? null : -num(l);
      case 'not': return !truthy(l);
      case 'and': return truthy(l) && truthy(evaluate(n.r, ctx));
      case 'or': return truthy(l) || truthy(evaluate(n.r, ctx));
    }
    var r = evaluate(n.r, ctx);
    switch (n.op) {
      case '=': return eq(l, r);
      case '!=': return !eq(l, r);
      case '<': case '<=': case '>': case '>=':
        if (l == null || r == null) return false;
        var a = num(l), b = num(r);
        if (a == null || b == null) { a = str(l); b = str(r); }
        return n.op === '<' ? a < b : n.op === '<=' ? a <= b : n.op === '>' ? a > b : a >= b;
    }
    var x = num(l), y = num(r);
    if (x == null || y == null) return null;
    switch (n.op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return y === 0 ? null : x / y;
      case 'mod': return y === 0 ? null : x % y;
    }
    return null;
  }
  var compiled = {};
  function run(src, ctx) {
    try { if (!(src in compiled)) compiled[src] = parse(src); return evaluate(compiled[src], ctx); } catch (e) { return undefined; }
  }

  // ---- The form page ----
  var form = document.getElementById('yb-form');
  var formId = form && form.dataset.form;
  var preview = !!form && form.dataset.preview === '1';  // admin preview: nothing kept or queued
  // A form opened for a known person or to correct a submission keeps its own draft, so that an
  // unrelated draft of the same form never overwrites prefilled values.
  var preEl = form && form.elements._prefill, supEl = form && form.elements._supersedes;
  var draftKey = formId && !preview && 'yb.draft.' + formId +
    (supEl ? '?correct=' + supEl.value : preEl ? '?subject=' + preEl.value : '');

  function wrapperValue(w) {
    var type = w.dataset.type, name = w.dataset.key;
    var inputs = $$('[name="' + CSS.escape(name) + '"]', form).filter(function (i) { return !i.disabled; });
    if (type === 'select_multiple') return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    var i = inputs.filter(function (x) { return (x.type !== 'radio' && x.type !== 'checkbox') || x.checked; })[0];
    var v = i ? i.value.trim() : '';
    if (v === '') return null;
    if (type === 'integer' || type === 'decimal') { var n = num(v); return n == null ? v : n; }
    if (type === 'boolean') return v === 'true' ? true : v === 'false' ? false : v;
    if (type === 'id_number') return v.toUpperCase().replace(/[\s-]/g, '');
    return v;
  }
  function fieldWrapper(name) { return $$('[data-key]', form).filter(function (w) { return w.dataset.key === name; })[0]; }
  function context(prefix) {
    return {
      today: form.dataset.today,
      ref: function (key) {
        if (prefix) { var sib = fieldWrapper(prefix + key); if (sib) return sib.hidden ? null : wrapperValue(sib); }
        var w = fieldWrapper(key);
        if (w) {
          if (w.hidden) return null;
          if (w.dataset.type === 'repeat') return $$('.members > .member', w);
          return wrapperValue(w);
        }
        // ${repeat.child}: one value per item
        var dot = key.lastIndexOf('.'), rep = fieldWrapper(key.slice(0, dot));
        if (rep && rep.dataset.type === 'repeat') {
          return $$('.members > .member', rep).map(function (m) {
            var c = $$('[data-key]', m).filter(function (x) { return /\]\.([^.\[\]]+)$/.exec(x.dataset.key)[1] === key.slice(dot + 1); })[0];
            return c ? wrapperValue(c) : null;
          });
        }
        return null;
      }
    };
  }
  function prefixOf(name) { var m = /^(.*\]\.)[^\]]*$/.exec(name); return m ? m[1] : ''; }
  function setEnabled(w, on) {
    w.hidden = !on;
    $$('input, select, textarea', w).forEach(function (i) { if (!i.closest('template')) i.disabled = !on; });
  }
  function recompute() {
    if (!form) return;
    $$('[data-key]', form).forEach(function (w) {
      if (w.closest('template')) return;
      var ctx = context(prefixOf(w.dataset.key));
      if (w.dataset.relevant) {
        var r = run(w.dataset.relevant, ctx);
        if (r !== undefined) setEnabled(w, truthy(r));
      }
      if (w.dataset.calculate) {
        var v = run(w.dataset.calculate, ctx), inp = $('input', w);
        if (inp && v !== undefined) inp.value = v == null ? '' : v === true ? T('yes') : v === false ? T('no') : String(v);
      }
    });
  }

  function renumber(rep) {
    $$('.members > .member', rep).forEach(function (m, i) {
      var lg = $('legend', m);
      if (lg) lg.textContent = T('member').replace('{n}', i + 1);
    });
  }
  function addMember(rep, index) {
    var tpl = $('template.member-template', rep), members = $('.members', rep);
    var max = +rep.dataset.max || 50;
    if ($$('.member', members).length >= max) return null;
    if (index == null) index = $$('.member', members).reduce(function (a, m) { return Math.max(a, +m.dataset.index + 1); }, 0);
    var html = tpl.innerHTML.split('__i__').join(String(index));
    members.insertAdjacentHTML('beforeend', html);
    renumber(rep);
    return members.lastElementChild;
  }

  function serialize() {
    var pairs = [], reps = {};
    $$('input, select, textarea', form).forEach(function (i) {
      if (!i.name || i.name === '_csrf' || i.closest('template')) return;
      if ((i.type === 'radio' || i.type === 'checkbox') && !i.checked) return;
      if (i.readOnly) return;
      pairs.push([i.name, i.value]);
    });
    $$('[data-type=repeat]', form).forEach(function (r) { reps[r.dataset.key] = $$('.members > .member', r).map(function (m) { return m.dataset.index; }); });
    return { client_id: form.elements._client_id.value, at: Date.now(), title: $('h1').textContent, pairs: pairs, members: reps };
  }
  function restore(d) {
    Object.keys(d.members || {}).forEach(function (key) {
      var rep = fieldWrapper(key);
      if (!rep) return;
      $$('.members > .member', rep).forEach(function (m) { m.remove(); });
      d.members[key].forEach(function (i) { addMember(rep, i); });
    });
    if (d.client_id) form.elements._client_id.value = d.client_id;
    var seen = {};
    (d.pairs || []).forEach(function (p) {
      $$('[name="' + CSS.escape(p[0]) + '"]', form).forEach(function (i) {
        if (i.type === 'radio' || i.type === 'checkbox') {
          if (!seen[p[0]]) { seen[p[0]] = 1; $$('[name="' + CSS.escape(p[0]) + '"]', form).forEach(function (x) { x.checked = false; }); }
          if (i.value === p[1]) i.checked = true;
        } else if (!i.readOnly) i.value = p[1];
      });
    });
  }
  var saveTimer;
  function saveDraft() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () {
      save(draftKey, serialize());
      var s = document.getElementById('draft-status');
      if (s) s.textContent = T('draft_saved');
    }, 400);
  }

  // An answer's id sorts by the time it was made (10 characters of the clock, then 80 random
  // bits), like the gateway's own: a cadre's answers are then added at the end of the
  // gateway's index of answer ids, not each on a page of its own somewhere inside it.
  var SORTED = '0123456789abcdefghjkmnpqrstvwxyz', B32 = 'abcdefghijklmnopqrstuvwxyz234567';
  function newClientId() {
    var t = Date.now(), id = '', i;
    for (i = 0; i < 10; i++) { id = SORTED.charAt(t % 32) + id; t = Math.floor(t / 32); }
    var r = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(r);
    else for (i = 0; i < 16; i++) r[i] = Math.floor(Math.random() * 256);
    for (i = 0; i < 16; i++) id += B32.charAt(r[i] & 31);
    return 'w-' + id;
  }

  // ---- The queue of submissions made without a signal ----
  var QKEY = 'yb.queue';
  function renderQueue() {
    var box = document.getElementById('queue-list');
    if (!box) return;
    var q = load(QKEY, []);
    box.textContent = '';
    if (!q.length) { if (!form) box.appendChild(el('p', {}, T('queue_none'))); return; }
    q.forEach(function (item) {
      var row = el('div', { 'class': 'queue-item' });
      row.appendChild(el('span', {}, item.title + ' · ' + new Date(item.at).toLocaleString()));
      var state = item.state === 'rejected' ? T('queue_rejected') : item.state === 'login' ? T('queue_login') : item.state === 'sending' ? T('queue_sending') : T('queue_waiting');
      row.appendChild(el('strong', {}, state));
      if (item.state === 'rejected') {
        var b = el('button', { type: 'button' }, T('fill_form'));
        b.addEventListener('click', function () {
          var d = { client_id: item.client_id, pairs: [], members: {} }, reps = {};
          new URLSearchParams(item.body).forEach(function (v, k) {
            if (k === '_csrf' || k === '_action') return;
            d.pairs.push([k, v]);
            var m = /^(.*)\[(\d+)\]\./.exec(k);
            if (m) { reps[m[1]] = reps[m[1]] || []; if (reps[m[1]].indexOf(m[2]) < 0) reps[m[1]].push(m[2]); }
          });
          d.members = reps;
          save('yb.draft.' + item.form, d);
          save(QKEY, load(QKEY, []).filter(function (x) { return x.client_id !== item.client_id; }));
          location.href = '/forms/' + encodeURIComponent(item.form);
        });
        row.appendChild(b);
      }
      box.appendChild(row);
    });
  }
  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine) return;
    var q = load(QKEY, []).filter(function (x) { return x.state !== 'rejected'; });
    if (!q.length) return;
    flushing = true;
    var item = q[0];
    fetch('/forms/' + encodeURIComponent(item.form), {
      method: 'POST', credentials: 'same-origin', redirect: 'follow',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: item.body
    }).then(function (res) {
      var path = new URL(res.url).pathname, rest = load(QKEY, []);
      if (res.ok && /^\/submissions\/\d+$/.test(path)) {
        rest = rest.filter(function (x) { return x.client_id !== item.client_id; });
      } else {
        rest.forEach(function (x) { if (x.client_id === item.client_id) x.state = path === '/' ? 'login' : 'rejected'; });
      }
      save(QKEY, rest);
      flushing = false;
      renderQueue();
      if (res.ok && /^\/submissions\//.test(path)) flush();
    }, function () { flushing = false; renderQueue(); });
  }
  window.addEventListener('online', function () { netStatus(); flush(); });
  window.addEventListener('offline', netStatus);
  function netStatus() {
    var n = document.getElementById('net-status');
    if (n) { n.hidden = navigator.onLine; n.textContent = navigator.onLine ? '' : T('offline_notice'); }
  }

  if (form) {
    var hasServerErrors = form.dataset.serverErrors === '1';
    var draft = load(draftKey, null);
    if (draft && !hasServerErrors) {
      restore(draft);
      var s = document.getElementById('draft-status');
      if (s) s.textContent = T('draft_restored');
    }
    recompute();
    if (hasServerErrors) { save(draftKey, serialize()); var sum = document.getElementById('summary'); if (sum) sum.focus(); }
    form.addEventListener('input', function () { recompute(); saveDraft(); });
    form.addEventListener('change', function () { recompute(); saveDraft(); });
    form.addEventListener('click', function (e) {
      var b = e.target.closest('button');
      if (!b || b.type !== 'submit') return;
      var v = b.value || '';
      if (v.indexOf('add:') === 0) {
        e.preventDefault();
        var rep = b.closest('[data-type=repeat]'), m = addMember(rep);
        if (m) { recompute(); var first = $('input, select', m); if (first) first.focus(); }
        saveDraft();
      } else if (v.indexOf('remove:') === 0) {
        e.preventDefault();
        var r = b.closest('[data-type=repeat]');
        b.closest('.member').remove();
        renumber(r);
        recompute();
        saveDraft();
        $('button.add', r).focus();
      }
    });
    form.addEventListener('submit', function (e) {
      clearTimeout(saveTimer);
      save(draftKey, serialize());
      if (navigator.onLine || preview) return;  // an ordinary post; the draft stays until the receipt
      e.preventDefault();
      var body = new URLSearchParams(new FormData(form)).toString();
      var q = load(QKEY, []).filter(function (x) { return x.client_id !== form.elements._client_id.value; });
      q.push({ client_id: form.elements._client_id.value, form: formId, title: $('h1').textContent, body: body, at: Date.now(), state: 'waiting' });
      save(QKEY, q);
      localStorage.removeItem(draftKey);
      form.reset();
      $$('[data-type=repeat]', form).forEach(function (rep) {
        $$('.members > .member', rep).forEach(function (m) { m.remove(); });
        addMember(rep, 0);
      });
      form.elements._client_id.value = newClientId();
      recompute();
      var n = document.getElementById('net-status');
      n.hidden = false;
      n.textContent = T('offline_queued');
      renderQueue();
      window.scrollTo(0, 0);
    });
    netStatus();
  }

  // ---- Home: drafts on this device ----
  var dl = document.getElementById('draft-list');
  if (dl) {
    dl.textContent = '';
    var any = false;
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k.indexOf('yb.draft.') !== 0) continue;
      var d = load(k, null);
      if (!d) continue;
      any = true;
      var p = el('p');
      var rest = k.slice(9), qi = rest.indexOf('?');
      var href = '/forms/' + encodeURIComponent(qi < 0 ? rest : rest.slice(0, qi)) + (qi < 0 ? '' : rest.slice(qi));
      var a = el('a', { href: href, 'class': 'button' }, (d.title || rest) + ' · ' + new Date(d.at).toLocaleString());
      p.appendChild(a);
      dl.appendChild(p);
    }
    if (!any) dl.appendChild(el('p', {}, T('drafts_none')));
  }

  // ---- Receipt: forget the sent draft, follow the deliveries ----
  var rc = document.getElementById('receipt');
  if (rc) {
    var dks = [];
    for (var j = 0; j < localStorage.length; j++) {
      var dk = localStorage.key(j);
      if (dk === 'yb.draft.' + rc.dataset.form || dk.indexOf('yb.draft.' + rc.dataset.form + '?') === 0) dks.push(dk);
    }
    dks.forEach(function (k) { var dd = load(k, null); if (dd && dd.client_id === rc.dataset.clientId) localStorage.removeItem(k); });
    var delay = 1500;
    var poll = function () {
      fetch('/submissions/' + rc.dataset.id + '/status', { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          var list = document.getElementById('deliveries');
          j.deliveries.forEach(function (d) {
            var li = $$('li', list).filter(function (x) { return x.dataset.connector === d.connector; })[0];
            if (!li) return;
            li.className = 'st st-' + d.status;
            var s = $('.status', li);
            if (s.textContent !== d.label) s.textContent = d.label;
          });
          if (!j.final) { delay = Math.min(delay * 1.5, 15000); setTimeout(poll, delay); }
        }, function () { setTimeout(poll, 15000); });
    };
    if (rc.dataset.final !== '1') setTimeout(poll, delay);
  }

  renderQueue();
  flush();
})();
