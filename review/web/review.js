// The review page: one suggestion at a time, judged with buttons or keys. Judgments
// wait in a queue kept in localStorage until the server has stored them; when the
// database is unavailable (503) or the network fails, the queue is sent again later.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const store = window.localStorage;
  const QUEUE = 'addlink-review-queue';
  const RETRY_MS = 2000;
  let current = null;   // the item shown
  let busy = false;     // a request is on its way
  let queue = JSON.parse(store.getItem(QUEUE) || '[]');
  let retryTimer = null;

  function setState(s) { document.body.dataset.state = s; }
  function say(msg) { $('status').textContent = msg; }
  function saveQueue() { store.setItem(QUEUE, JSON.stringify(queue)); }
  function requestID() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }
  function reviewer() { return $('reviewer').value.trim(); }
  function filters() {
    return { wiki: $('wiki').value, min: $('min').value || '0', max: $('max').value || '1' };
  }

  function showProgress(p) {
    if (!p) return;
    $('progress').textContent = p.judged + ' of ' + p.items + ' judged; ' + p.mine + ' by you';
  }

  function show(item) {
    current = item;
    $('empty').hidden = item !== null;
    $('item').hidden = item === null;
    if (!item) {
      document.body.dataset.itemId = '';
      setState('done');
      $('undo-empty').focus();
      return;
    }
    document.body.dataset.itemId = String(item.id);
    $('mention-label').textContent = item.mention;
    $('target').textContent = item.target;
    $('page').textContent = item.page_title;
    $('section').textContent = item.section ? ', section “' + item.section + '”' : '';
    $('item-wiki').textContent = item.wiki;
    $('score').textContent = $('show-score').checked ? ', score ' + item.score.toFixed(3) : '';
    $('sentence').lang = item.lang;
    $('before').textContent = item.context_before;
    $('mention').textContent = item.mention;
    $('after').textContent = item.context_after;
    setState('ready');
    $('accept').focus();
  }

  async function call(method, path, body) {
    const init = { method: method, headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(path, init);
    let data = {};
    try { data = await resp.json(); } catch (e) { /* not JSON */ }
    return { status: resp.status, data: data };
  }

  async function next() {
    if (!reviewer()) { say('Enter your name first.'); $('reviewer').focus(); return; }
    const f = filters();
    const q = new URLSearchParams({ reviewer: reviewer(), wiki: f.wiki, min: f.min, max: f.max });
    let r;
    try { r = await call('GET', 'api/next?' + q); } catch (e) { r = { status: 0, data: {} }; }
    if (r.status === 200) {
      showProgress(r.data.progress);
      show(r.data.item);
      if (!r.data.item) say('Nothing left to judge with these filters.');
      return;
    }
    if (r.status >= 400 && r.status < 500) { say('Error: ' + (r.data.error || r.status)); setState('error'); return; }
    setState('retrying');
    say('The server or its database is unavailable; trying again.');
    retryTimer = setTimeout(next, RETRY_MS);
  }

  // flush sends the queued judgments and undos in order, then shows the next item
  // (or the undone one).
  async function flush() {
    if (busy) return;
    busy = true;
    clearTimeout(retryTimer);
    let undone = null;
    while (queue.length > 0) {
      const op = queue[0];
      setState('saving');
      let r;
      try { r = await call('POST', op.kind === 'undo' ? 'api/undo' : 'api/judgments', op.body); } catch (e) { r = { status: 0, data: {} }; }
      if (r.status === 200) {
        queue.shift();
        saveQueue();
        if (op.kind === 'undo') { undone = r.data.item; say('Undone: ' + r.data.item.mention + ' → ' + r.data.item.target); }
        else { say('Saved: ' + op.body.label + ' ' + op.text); if (r.data.progress) showProgress(r.data.progress); undone = null; }
        continue;
      }
      if (r.status >= 400 && r.status < 500) {
        // Refused for good (malformed, or nothing to undo): drop it and say why.
        queue.shift();
        saveQueue();
        say('Not saved: ' + (r.data.error || ('HTTP ' + r.status)));
        continue;
      }
      setState('retrying');
      say('The database is unavailable: your ' + (queue.length === 1 ? 'judgment is' : queue.length + ' judgments are') +
          ' kept in this page and will be sent again in a few seconds.');
      busy = false;
      retryTimer = setTimeout(flush, RETRY_MS);
      return;
    }
    busy = false;
    if (undone) { show(undone); } else { await next(); }
  }

  function judge(label) {
    if (!current || document.body.dataset.state !== 'ready') return;
    const f = filters();
    queue.push({ kind: 'judge', text: current.mention + ' → ' + current.target, body: {
      request_id: requestID(), item_id: current.id, reviewer: reviewer(), label: label,
      wiki: f.wiki, min: parseFloat(f.min), max: parseFloat(f.max) } });
    saveQueue();
    current = null;
    flush();
  }

  function undo() {
    const s = document.body.dataset.state;
    if (!reviewer() || (s !== 'ready' && s !== 'done')) return;
    queue.push({ kind: 'undo', body: { request_id: requestID(), reviewer: reviewer() } });
    saveQueue();
    flush();
  }

  function start(ev) {
    if (ev) ev.preventDefault();
    if (!reviewer()) { say('Enter your name first.'); $('reviewer').focus(); return; }
    store.setItem('addlink-review-reviewer', reviewer());
    if (queue.length > 0) { flush(); } else { next(); }
  }

  document.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (ev.key === 'Escape' && t && t.blur) { t.blur(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
    const action = { a: () => judge('accept'), r: () => judge('reject'), s: () => judge('skip'), u: undo }[ev.key];
    if (action) { ev.preventDefault(); action(); }
  });
  $('accept').addEventListener('click', () => judge('accept'));
  $('reject').addEventListener('click', () => judge('reject'));
  $('skip').addEventListener('click', () => judge('skip'));
  $('undo').addEventListener('click', undo);
  $('undo-empty').addEventListener('click', undo);
  $('settings').addEventListener('submit', start);
  $('show-score').addEventListener('change', () => { if (current) show(current); });

  $('reviewer').value = store.getItem('addlink-review-reviewer') || '';
  call('GET', 'api/wikis').then((r) => {
    for (const w of (r.data.wikis || [])) {
      const o = document.createElement('option');
      o.value = w; o.textContent = w;
      $('wiki').appendChild(o);
    }
    setState('idle');
    if (reviewer()) start();
  }).catch(() => { setState('idle'); });
})();
