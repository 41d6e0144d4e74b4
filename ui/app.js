// app.js: the faas dashboard. Plain ES2017+, no framework. Log in with a key (kept in
// sessionStorage; a #key=<key> fragment is taken and removed from the address bar), then hash
// routes: #/functions, #/function/<name>, #/deploy, #/system. Every server string reaches the DOM
// as text (el() makes text nodes; never innerHTML). Each view owns an AbortController and its
// timers, so leaving a page cancels its followed logs and polling. Buttons the key's scope does not
// allow are disabled with the reason in their title.
"use strict";

(() => {
  const KEY_ITEM = "faas.key";
  const LOG_KEEP = 256 * 1024; // characters of a log kept on the page
  const main = document.getElementById("main");
  const state = { key: sessionStorage.getItem(KEY_ITEM), who: null, domain: null, metrics: null };
  let view = null;

  // ---- DOM helpers ------------------------------------------------------------------------

  /** An element; attrs: class, text, on<event> handlers, data-*, any attribute; children: nodes or strings. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = String(v);
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "disabled" || k === "hidden" || k === "checked") e[k] = true;
      else if (k === "value") e.value = v;
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function flash(message, kind) {
    const f = document.getElementById("flash");
    f.textContent = message;
    f.className = `flash ${kind === "error" ? "flash-error" : "flash-ok"}`;
    f.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { f.hidden = true; }, kind === "error" ? 10000 : 5000);
  }

  const STATUSES = ["running", "building", "starting", "stopped", "failed", "crashing", "ready", "paused",
    "succeeded", "valid", "issuing", "expired", "renewal due"];
  function badge(status) {
    const s = String(status || "-");
    const known = STATUSES.includes(s) ? s.replace(" ", "-") : "other";
    return el("span", { class: `st st-${known}`, text: s });
  }

  function time(unix) {
    if (!unix) return "-";
    return new Date(unix * 1000).toLocaleString();
  }

  function card(title, ...body) {
    return el("section", { class: "card" }, el("h2", { text: title }), ...body);
  }

  function table(headers, rows, cls) {
    return el("div", { class: "scroll" },
      el("table", { class: cls || "" },
        el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))),
        el("tbody", {}, rows)));
  }

  // ---- the API -----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, body) {
      const text = body && body.error ? body.error + (body.details ? `: ${body.details}` : "") : `HTTP ${status}`;
      super(text);
      this.status = status;
    }
  }

  function authHeaders(extra) {
    return Object.assign({ Authorization: `Bearer ${state.key}` }, extra || {});
  }

  /** fetch with the key; JSON answers parsed (opts.text: the text); errors thrown as ApiError. */
  async function api(path, opts) {
    const o = opts || {};
    const init = { method: o.method || "GET", headers: authHeaders(), signal: o.signal };
    if (o.json !== undefined) {
      init.body = JSON.stringify(o.json);
      init.headers["Content-Type"] = "application/json";
    } else if (o.body !== undefined) init.body = o.body;
    const res = await fetch(path, init);
    if (!res.ok) {
      let body = null;
      try { body = await res.json(); } catch (e) { /* not JSON */ }
      if (res.status === 401 && !o.noLogout) logout("The key was refused (401): log in again.");
      throw new ApiError(res.status, body);
    }
    return o.text ? res.text() : res.json();
  }

  function showError(where, err) {
    if (err && err.name === "AbortError") return;
    where.replaceChildren(el("p", { class: "error", text: String(err && err.message ? err.message : err) }));
  }

  // ---- scopes: what the key may do ---------------------------------------------------------

  const can = {
    deploy: () => state.who && ["deploy", "admin"].includes(state.who.scope),
    invoke: () => state.who && ["invoke", "deploy", "admin"].includes(state.who.scope),
  };

  /** Disables button (with why in its title) unless the key's scope allows `need`. */
  function guard(button, need) {
    if (!can[need]()) {
      button.disabled = true;
      const scope = state.who ? state.who.scope : "none";
      button.title = need === "deploy" ? `needs a deploy key (this key has scope ${scope})`
        : `needs an invoke or deploy key (this key has scope ${scope})`;
      button.classList.add("needs-scope");
    }
    return button;
  }

  // ---- views: each gets a signal and timers that end when the page is left -----------------

  function newView() {
    if (view) view.close();
    const ac = new AbortController();
    const v = {
      signal: ac.signal,
      timers: [],
      get open() { return !ac.signal.aborted; },
      every(ms, fn) { fn(); v.timers.push(setInterval(fn, ms)); },
      later(ms, fn) { v.timers.push(setTimeout(fn, ms)); },
      close() { ac.abort(); v.timers.forEach((t) => { clearInterval(t); clearTimeout(t); }); },
    };
    view = v;
    return v;
  }

  /**
   * Streams url (a followed log) into pre until it ends or the view closes. opts.onEnd runs when
   * the server ends the stream (a redeploy or a rollback replaced the containers).
   */
  async function streamInto(v, url, pre, opts) {
    const o = opts || {};
    let res;
    try {
      res = await fetch(url, { headers: authHeaders(), signal: v.signal });
      if (!res.ok) {
        let body = null;
        try { body = await res.json(); } catch (e) { /* not JSON */ }
        throw new ApiError(res.status, body);
      }
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        appendLog(pre, dec.decode(value, { stream: true }));
      }
      if (o.onEnd && v.open) o.onEnd();
    } catch (err) {
      if (err.name !== "AbortError") appendLog(pre, `\n[dashboard] ${err.message}\n`);
    }
  }

  function appendLog(pre, text) {
    // eslint-disable-next-line no-control-regex
    const clean = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    let all = pre.textContent + clean;
    if (all.length > LOG_KEEP) all = all.slice(all.length - LOG_KEEP);
    pre.textContent = all;
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  // ---- login ---------------------------------------------------------------------------------

  /** Takes a #key=<key> (alone or after a route: #/system&key=...) into sessionStorage and removes it. */
  function takeKeyFromHash() {
    const frag = location.hash.replace(/^#/, "");
    const m = /(^|[&?])key=([^&]*)/.exec(frag);
    if (!m) return;
    let key = m[2];
    try { key = decodeURIComponent(key); } catch (e) { /* keep it raw */ }
    sessionStorage.setItem(KEY_ITEM, key);
    state.key = key;
    const rest = frag.replace(m[0], "").replace(/^[&?]/, "");
    history.replaceState(null, "", location.pathname + location.search + (rest.startsWith("/") ? `#${rest}` : "#/functions"));
  }

  function logout(message) {
    sessionStorage.removeItem(KEY_ITEM);
    state.key = null;
    state.who = null;
    if (view) view.close();
    showLogin(message);
  }

  function showLogin(message) {
    document.getElementById("nav").hidden = true;
    document.getElementById("who").hidden = true;
    const input = el("input", { type: "password", id: "key", autocomplete: "off", required: true, placeholder: "faas_... or the passkey" });
    const form = el("form", { class: "card login", id: "login" },
      el("h1", { text: "Log in" }),
      el("p", { class: "muted", text: "A faas API key: the passkey, or a named key (a read key sees everything and changes nothing)." }),
      message ? el("p", { class: "error", text: message }) : null,
      el("label", { for: "key", text: "Key" }), input,
      el("button", { type: "submit", text: "Log in" }));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      state.key = input.value.trim();
      sessionStorage.setItem(KEY_ITEM, state.key);
      start();
    });
    main.replaceChildren(form);
    input.focus();
  }

  async function start() {
    if (!state.key) return showLogin();
    try {
      const self = await api("/keys/self", { noLogout: true });
      state.who = self.data;
    } catch (err) {
      sessionStorage.removeItem(KEY_ITEM);
      state.key = null;
      return showLogin(err.status === 401 ? "That key was refused." : `Cannot log in: ${err.message}`);
    }
    document.getElementById("nav").hidden = false;
    document.getElementById("who").hidden = false;
    document.getElementById("who-name").textContent = `${state.who.name} (${state.who.scope})`;
    route();
  }

  // ---- routing -------------------------------------------------------------------------------

  function route() {
    if (!state.key || !state.who) return;
    const hash = location.hash || "#/functions";
    const v = newView();
    main.replaceChildren();
    if (!can.deploy()) // a title shows only on hover: say it once where a phone shows it too
      main.append(el("p", { class: "note", id: "readonly" },
        `This key has scope ${state.who.scope}: it sees everything and changes nothing. Buttons that change things need a deploy key.`));
    const fn = /^#\/function\/([^/?&]+)$/.exec(hash);
    const page = fn ? "functions" : hash.slice(2);
    for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.nav === page);
    if (fn) return functionPage(v, decodeURIComponent(fn[1]));
    if (hash === "#/deploy") return deployPage(v);
    if (hash === "#/system") return systemPage(v);
    return functionsPage(v);
  }

  // ---- functions ---------------------------------------------------------------------------

  async function domain() {
    if (state.domain === null) {
      try {
        const cfg = await api("/config");
        const d = cfg.data.find((s) => s.name === "domain");
        state.domain = d ? d.value : "";
      } catch (e) {
        state.domain = "";
      }
    }
    return state.domain;
  }

  function functionUrl(rec) {
    if (rec.kind !== "service" || !state.domain || !/^[a-z0-9-]+$/.test(rec.name)) return null;
    return `${location.protocol}//${rec.name}.${state.domain}${location.port ? `:${location.port}` : ""}/`;
  }

  function replicaCounts(rec) {
    if (rec.kind !== "service") return "-";
    const n = { ready: 0, paused: 0, stopped: 0, starting: 0 };
    for (const r of rec.replicas || []) if (r.state in n) n[r.state]++;
    return `${n.ready}/${n.paused}/${n.stopped}${n.starting ? ` (+${n.starting} starting)` : ""}`;
  }

  /** Scrapes /metrics; keeps the last scrape to compute rates against. 404: not offered. */
  async function scrapeMetrics(signal) {
    const res = await fetch("/metrics", { headers: authHeaders(), signal });
    if (!res.ok) {
      state.metrics = { unavailable: res.status, rates: {} };
      return;
    }
    const now = Date.now();
    const cur = FaasMetrics.summarize(FaasMetrics.parse(await res.text()));
    const prev = state.metrics && state.metrics.summary ? state.metrics : null;
    const rates = FaasMetrics.rates(prev ? prev.summary : null, cur, prev ? (now - prev.at) / 1000 : 0);
    state.metrics = { summary: cur, at: now, rates };
  }

  async function functionsPage(v) {
    const status = el("span", { class: "muted small" });
    const body = el("div", {}, el("p", { class: "muted", text: "Loading…" }));
    main.append(el("div", { class: "title" }, el("h1", { text: "Functions" }), status), body);
    await domain();
    const load = async () => {
      try {
        const [list] = await Promise.all([api("/function/list", { signal: v.signal }),
          scrapeMetrics(v.signal).catch((e) => { if (e.name !== "AbortError") state.metrics = { unavailable: 0, rates: {} }; })]);
        if (!v.open) return;
        renderFunctions(body, list.functions || []);
        status.textContent = `updated ${new Date().toLocaleTimeString()}`;
      } catch (err) {
        showError(body, err);
      }
    };
    v.every(5000, load);
  }

  function renderFunctions(body, fns) {
    if (fns.length === 0) {
      body.replaceChildren(el("p", { class: "muted" }, "No functions yet. ", el("a", { href: "#/deploy", text: "Deploy one" }), "."));
      return;
    }
    const rates = (state.metrics && state.metrics.rates) || {};
    const rows = fns.map((rec) => {
      const url = functionUrl(rec);
      const r = rates[rec.name] || { rps: null, p99: null };
      return el("tr", { "data-name": rec.name },
        el("td", {}, el("a", { href: `#/function/${encodeURIComponent(rec.name)}`, text: rec.name })),
        el("td", { text: rec.kind }),
        el("td", { class: "status" }, badge(rec.status)),
        el("td", { text: replicaCounts(rec), title: "ready/paused/stopped" }),
        el("td", { text: rec.revision || "-" }),
        el("td", { class: "url" }, url ? el("a", { href: url, text: url, rel: "noopener noreferrer", target: "_blank" }) : "-"),
        el("td", { class: "num", text: FaasMetrics.formatRate(r.rps) }),
        el("td", { class: "num", text: FaasMetrics.formatSeconds(r.p99) }));
    });
    body.replaceChildren(table(["Name", "Kind", "Status", "Replicas r/p/s", "Revision", "URL", "Req/s", "p99"], rows, "functions"));
    if (state.metrics && state.metrics.unavailable !== undefined)
      body.append(el("p", { class: "muted small", text: "Requests/s and p99 need GET /metrics, which this server does not answer." }));
  }

  // ---- one function ------------------------------------------------------------------------

  async function functionPage(v, name) {
    const path = encodeURIComponent(name);
    const head = el("div", { class: "title" }, el("h1", { text: name }));
    const record = el("div", {}, el("p", { class: "muted", text: "Loading…" }));
    const revisions = el("div", { id: "revisions" });
    main.append(head, card("Record", record));
    let rec;
    try {
      rec = (await api(`/function/get/${path}`, { signal: v.signal }));
    } catch (err) {
      return showError(record, err);
    }
    head.append(badge(rec.status), actions(v, name, rec));
    if (rec.kind === "service") {
      main.append(logCard(v, name), buildLogCard(v, name), card("Revisions", revisions), scaleCard(name, rec));
    } else {
      main.append(executeCard(v, name), buildLogCard(v, name));
    }
    const refresh = async () => {
      try {
        rec = await api(`/function/get/${path}`, { signal: v.signal });
        if (!v.open) return;
        head.querySelector(".st").replaceWith(badge(rec.status));
        renderRecord(record, rec);
        if (rec.kind === "service") await loadRevisions(v, name, revisions);
      } catch (err) {
        showError(record, err);
      }
    };
    v.refresh = refresh;
    v.every(5000, refresh);
  }

  function actions(v, name, rec) {
    const path = encodeURIComponent(name);
    const act = (label, method, url, confirmText) => guard(el("button", {
      type: "button", class: "secondary", text: label,
      onclick: async (ev) => {
        if (confirmText && !window.confirm(confirmText)) return;
        ev.target.disabled = true;
        try {
          const r = await api(url, { method });
          flash(r.message || `${label}: done`);
          if (method === "DELETE") location.hash = "#/functions";
          else if (v.refresh) v.refresh();
        } catch (err) {
          flash(`${label}: ${err.message}`, "error");
        } finally {
          ev.target.disabled = false;
        }
      },
    }), "deploy");
    const box = el("div", { class: "actions" });
    if (rec.kind === "service")
      box.append(act("Start", "POST", `/function/start/${path}`), act("Stop", "POST", `/function/stop/${path}`));
    box.append(act("Delete", "DELETE", rec.kind === "service" ? `/function/delete/${path}` : `/api/functions/${path}`,
      `Delete ${name}, its images and its revisions?`));
    return box;
  }

  function renderRecord(box, rec) {
    const rows = [
      ["Kind", rec.kind], ["Status", rec.status], ["Revision", rec.revision || null], ["Runtime", rec.runtime],
      ["Language", rec.language], ["Tag", rec.tag], ["URL", functionUrl(rec)],
      ["Loopback port", rec.port ? `http://127.0.0.1:${rec.port}/` : null], ["Container port", rec.kind === "service" ? rec.container_port : null],
      ["Replicas (ready/paused/stopped)", replicaCounts(rec)], ["Desired", rec.desired !== undefined && rec.desired !== null ? `${rec.desired} (${rec.desiredReason || ""})` : null],
      ["Image", rec.imageId], ["Build", rec.build ? `${rec.build.status} ${rec.build.id || ""}${rec.build.error ? `: ${rec.build.error}` : ""}` : null],
      ["Restarts", rec.kind === "service" ? rec.restarts : null], ["Last output", rec.lastOutput], ["Volume", rec.volume],
      ["Environment", rec.env && Object.keys(rec.env).length ? Object.keys(rec.env).join(", ") : null],
      ["Secrets", rec.secrets && rec.secrets.length ? rec.secrets.join(", ") : null],
      ["Created", time(rec.createdAt)], ["Updated", time(rec.updatedAt)], ["Last executed", rec.lastExecuted ? time(rec.lastExecuted) : null],
    ].filter(([, val]) => val !== null && val !== undefined && val !== "");
    const dl = el("dl", { class: "record" }, rows.map(([k, val]) => [el("dt", { text: k }), el("dd", { text: val })]));
    const raw = el("details", {}, el("summary", { text: "The whole record (JSON)" }),
      el("pre", { class: "json", text: JSON.stringify(rec, null, 2) }));
    const open = box.querySelector("details") && box.querySelector("details").open;
    raw.open = !!open;
    box.replaceChildren(dl, raw);
  }

  function logCard(v, name) {
    const pre = el("pre", { class: "log", id: "log" });
    const toggle = el("button", { type: "button", class: "secondary", id: "follow", text: "Stop following" });
    let following = null;
    const followOnce = (tail) => {
      if (!v.open) return;
      const ac = new AbortController(); // this follow alone: the button stops it, leaving the page too
      v.signal.addEventListener("abort", () => ac.abort());
      const fv = { signal: ac.signal, get open() { return !ac.signal.aborted; } };
      following = ac;
      streamInto(fv, `/function/logs/${encodeURIComponent(name)}?follow=1&tail=${tail}`, pre, {
        // The stream ends when its containers go (a rollback, a redeploy): follow the new ones.
        onEnd: () => v.later(1500, () => { if (following === ac) followOnce(0); }),
      });
    };
    toggle.addEventListener("click", () => {
      if (following) {
        following.abort();
        following = null;
        toggle.textContent = "Follow";
      } else {
        toggle.textContent = "Stop following";
        followOnce(0);
      }
    });
    const clear = el("button", { type: "button", class: "secondary", text: "Clear", onclick: () => { pre.textContent = ""; } });
    followOnce(200);
    return card("Logs", el("div", { class: "actions" }, toggle, clear), pre);
  }

  function buildLogCard(v, name) {
    const pre = el("pre", { class: "log", id: "buildlog" });
    const load = el("button", {
      type: "button", class: "secondary", text: "Show the last build's log",
      onclick: () => {
        pre.textContent = "";
        streamInto(v, `/function/logs/${encodeURIComponent(name)}?source=build&follow=1`, pre);
      },
    });
    return card("Build log", el("div", { class: "actions" }, load), pre);
  }

  async function loadRevisions(v, name, box) {
    const revs = (await api(`/function/revisions/${encodeURIComponent(name)}`, { signal: v.signal })).data || [];
    if (!v.open) return;
    const rows = revs.map((r) => {
      const button = r.current ? el("span", { class: "st st-running", text: "current" })
        : guard(el("button", {
          type: "button", class: "rollback", "data-revision": r.revision, text: `Roll back to ${r.revision}`,
          onclick: (ev) => rollback(v, name, r.revision, ev.target),
        }), "deploy");
      return el("tr", { "data-revision": r.revision, class: r.current ? "current" : "" },
        el("td", { text: r.revision }), el("td", { text: r.tag }), el("td", { class: "mono", text: String(r.imageId || "-").replace("sha256:", "").slice(0, 12) }),
        el("td", { text: time(r.createdAt) }), el("td", {}, button));
    });
    box.replaceChildren(revs.length ? table(["Revision", "Tag", "Image", "Deployed", ""], rows, "revisions")
      : el("p", { class: "muted", text: "No revision yet: one comes with each deploy that serves." }));
  }

  async function rollback(v, name, revision, button) {
    button.disabled = true;
    button.textContent = "Rolling back…";
    try {
      const r = await api(`/function/rollback/${encodeURIComponent(name)}`, { method: "POST", json: { revision } });
      flash(r.message || `Rolled back to revision ${revision}`);
    } catch (err) {
      flash(`Rollback: ${err.message}`, "error");
    }
    if (v.open && v.refresh) v.refresh();
  }

  function scaleCard(name, rec) {
    const fields = ["min", "max", "target", "concurrency"];
    const inputs = {};
    const own = rec.scale || {};
    const force = rec.scaleInForce || {};
    const grid = el("div", { class: "grid" }, fields.map((f) => {
      inputs[f] = el("input", { type: "number", min: 0, step: 1, id: `scale-${f}`, name: f,
        value: own[f] === null || own[f] === undefined ? "" : String(own[f]),
        placeholder: force[f] !== undefined ? `${force[f]} (in force)` : "" });
      return el("label", {}, el("span", { text: f }), inputs[f]);
    }));
    const save = guard(el("button", { type: "submit", id: "scale-save", text: "Save" }), "deploy");
    const form = el("form", { class: "scale" }, grid,
      el("p", { class: "muted small", text: "Empty: not this function's own setting (the scale hook's or the config's applies)." }), save);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = {};
      for (const f of fields) body[f] = inputs[f].value === "" ? null : Number(inputs[f].value);
      save.disabled = true;
      try {
        await api(`/function/scale/${encodeURIComponent(name)}`, { method: "PUT", json: body });
        flash("Scale settings saved");
      } catch (err) {
        flash(`Scale: ${err.message}`, "error");
      }
      save.disabled = false;
    });
    return card("Scale", form);
  }

  /** "NAME=value" lines to an object (blank lines and # comments skipped); throws on a bad line. */
  function parseInput(text) {
    const input = {};
    text.split("\n").forEach((line, i) => {
      const t = line.trim();
      if (t === "" || t.startsWith("#")) return;
      const eq = t.indexOf("=");
      if (eq <= 0) throw new Error(`line ${i + 1}: expected NAME=value`);
      input[t.slice(0, eq).trim()] = t.slice(eq + 1);
    });
    return input;
  }

  function executeCard(v, name) {
    const input = el("textarea", { id: "exec-input", rows: 4, placeholder: "name=Ada\ncount=3" });
    const out = el("pre", { class: "log", id: "exec-output" });
    const run = guard(el("button", { type: "submit", id: "exec-run", text: "Execute" }), "invoke");
    const invocations = el("div", { id: "invocations" });
    const form = el("form", {}, el("label", { for: "exec-input", text: "Input (NAME=value, one a line)" }), input, run);
    const loadInvocations = async () => {
      try {
        const list = await api(`/api/functions/${encodeURIComponent(name)}/invocations?limit=20`, { signal: v.signal });
        const rows = list.map((i) => el("tr", {}, el("td", { text: time(i.startedAt) }), el("td", {}, badge(i.status)),
          el("td", { class: "num", text: i.exitCode }), el("td", { class: "num", text: `${i.durationMs} ms` }),
          el("td", { class: "mono clip", text: String(i.output || "").slice(0, 200) })));
        invocations.replaceChildren(rows.length ? table(["Started", "Status", "Exit", "Duration", "Output"], rows)
          : el("p", { class: "muted", text: "No invocation yet." }));
      } catch (err) {
        showError(invocations, err);
      }
    };
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      run.disabled = true;
      out.textContent = "Running…";
      try {
        const body = { functionId: name, input: parseInput(input.value) };
        const res = await fetch("/api/execute", { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
        const r = await res.json();
        out.textContent = r.output !== undefined
          ? `exit ${r.exitCode}, ${r.durationMs} ms (HTTP ${res.status})\n\n${r.output}`
          : `HTTP ${res.status}: ${r.error}${r.details ? `: ${r.details}` : ""}`;
      } catch (err) {
        out.textContent = err.message;
      }
      run.disabled = false;
      loadInvocations();
    });
    v.later(0, loadInvocations);
    return el("div", {}, card("Execute", form, out), card("Invocations", invocations));
  }

  // ---- deploy ------------------------------------------------------------------------------

  async function deployPage(v) {
    const field = (name, label, attrs) => el("label", {}, el("span", { text: label }),
      el(attrs && attrs.textarea ? "textarea" : "input", Object.assign({ name, id: `dep-${name}` }, attrs || {}, { textarea: null })));
    const runtime = el("select", { name: "runtime", id: "dep-runtime" }, el("option", { value: "default", text: "default" }));
    let file = null;
    const fileInput = el("input", { type: "file", id: "dep-file", accept: ".zip,application/zip" });
    const fileName = el("span", { class: "muted", text: "No zip chosen" });
    const drop = el("div", { class: "drop", id: "drop" }, el("p", {}, "Drop a zip of the function's folder here, or "), fileInput, fileName);
    const choose = (f) => { file = f; fileName.textContent = f ? `${f.name} (${f.size} bytes)` : "No zip chosen"; };
    fileInput.addEventListener("change", () => choose(fileInput.files[0] || null));
    drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (ev) => { ev.preventDefault(); drop.classList.remove("over"); choose(ev.dataTransfer.files[0] || null); });
    const submit = guard(el("button", { type: "submit", id: "dep-submit", text: "Upload and deploy" }), "deploy");
    const log = el("pre", { class: "log", id: "dep-log" });
    const outcome = el("div", { id: "dep-outcome" });
    const form = el("form", { class: "deploy" },
      el("div", { class: "grid" },
        field("name", "Name (a DNS label)", { required: true, pattern: "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?" }),
        field("tag", "Tag (default <name>:latest)"),
        el("label", {}, el("span", { text: "Runtime" }), runtime),
        field("port", "Loopback port (optional)", { type: "number", min: 0, max: 65535 }),
        field("container_port", "Container port (default 8080)", { type: "number", min: 1, max: 65535 }),
        field("secrets", "Secrets (comma-separated)"),
        field("volume", "Volume (host:container[:ro])"),
        field("scale_min", "Scale min", { type: "number", min: 0 }),
        field("scale_max", "Scale max", { type: "number", min: 1 }),
        field("scale_target", "Scale target", { type: "number", min: 1 }),
        field("concurrency", "Concurrency", { type: "number", min: 0 }),
        field("memory", "Memory (e.g. 256m)"),
        field("cpus", "CPUs (e.g. 0.5)")),
      field("env", "Environment (NAME=value, one a line; empty keeps the current one)", { textarea: true, rows: 3 }),
      drop, submit);
    main.append(el("h1", { text: "Deploy" }), card("Upload a service function", form), card("Build log", outcome, log));
    api("/runtime/list", { signal: v.signal }).then((names) => {
      runtime.replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
    }).catch(() => { /* keep default */ });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!file) return flash("Choose a zip first", "error");
      const fd = new FormData();
      const value = (n) => form.elements[n].value.trim();
      const name = value("name");
      fd.append("name", name);
      fd.append("tag", value("tag") || `${name}:latest`);
      fd.append("runtime", runtime.value);
      for (const n of ["port", "container_port", "secrets", "volume", "scale_min", "scale_max", "scale_target",
        "concurrency", "memory", "cpus", "env"]) if (value(n) !== "") fd.append(n, form.elements[n].value);
      fd.append("file", file, file.name);
      submit.disabled = true;
      log.textContent = "";
      outcome.replaceChildren(el("p", { class: "muted", text: "Uploading…" }));
      try {
        const up = await api("/function/upload", { method: "POST", body: fd, signal: v.signal });
        outcome.replaceChildren(el("p", { class: "muted", text: `Building ${up.buildId}…` }));
        await streamInto(v, `/function/logs/${encodeURIComponent(name)}?source=build&follow=1`, log);
        const rec = await api(`/function/get/${encodeURIComponent(name)}?wait=${encodeURIComponent(up.buildId)}&timeout=120`, { signal: v.signal });
        const ok = rec.build && rec.build.status === "succeeded";
        outcome.replaceChildren(el("p", { class: ok ? "ok" : "error" },
          ok ? `Deployed: revision ${rec.revision || "-"}, ${rec.status}. ` : `Build ${rec.build ? rec.build.status : "?"}${rec.build && rec.build.error ? `: ${rec.build.error}` : ""}. `,
          el("a", { href: `#/function/${encodeURIComponent(name)}`, text: `Open ${name}` })));
      } catch (err) {
        if (err.name !== "AbortError") outcome.replaceChildren(el("p", { class: "error", text: err.message }));
      }
      submit.disabled = false;
      guard(submit, "deploy");
    });
  }

  // ---- system: health, certificates, the resolved configuration ------------------------------

  async function systemPage(v) {
    const health = el("div", {}, el("p", { class: "muted", text: "Loading…" }));
    const certs = el("div", {}, el("p", { class: "muted", text: "Loading…" }));
    const config = el("div", { id: "config" }, el("p", { class: "muted", text: "Loading…" }));
    main.append(el("h1", { text: "System" }),
      card("This key", el("dl", { class: "record" }, el("dt", { text: "Name" }), el("dd", { text: state.who.name }),
        el("dt", { text: "Scope" }), el("dd", { text: state.who.scope }))),
      card("Health", health), card("Certificates", certs), card("Configuration (read-only)", config));
    fetch("/health", { signal: v.signal }).then((r) => r.json()).then((h) => {
      health.replaceChildren(el("dl", { class: "record" }, el("dt", { text: "Status" }), el("dd", {}, badge(h.status === "ok" ? "running" : h.status)),
        el("dt", { text: "Docker" }), el("dd", { text: h.docker }), el("dt", { text: "Time" }), el("dd", { text: h.time })));
    }).catch((err) => showError(health, err));
    api("/tls/certs", { signal: v.signal }).then((c) => {
      const rows = (c.certificates || []).map((x) => el("tr", {}, el("td", { text: x.name }), el("td", {}, badge(x.status)),
        el("td", { text: x.issuer || "-" }), el("td", { text: time(x.notAfter) }), el("td", { text: time(x.renewAt) }),
        el("td", { text: x.lastError || "-" })));
      certs.replaceChildren(el("p", { class: "muted", text: c.acme ? `ACME: ${c.directory}` : "ACME is off (no certificates are ordered)." }),
        rows.length ? table(["Name", "Status", "Issuer", "Expires", "Renew at", "Last error"], rows) : el("p", { class: "muted", text: "No certificate." }));
    }).catch((err) => showError(certs, err));
    api("/config", { signal: v.signal }).then((c) => {
      const rows = c.data.map((s) => el("tr", { "data-setting": s.name }, el("td", { class: "mono", text: s.name }),
        el("td", { class: "mono", text: s.value }), el("td", { class: "muted", text: s.origin })));
      config.replaceChildren(table(["Setting", "Value", "From"], rows, "config"));
    }).catch((err) => showError(config, err));
  }

  // ---- start ---------------------------------------------------------------------------------

  document.getElementById("logout").addEventListener("click", () => logout());
  window.addEventListener("hashchange", () => {
    if (/(^#|[&?])key=/.test(location.hash)) {
      takeKeyFromHash();
      start();
    } else route();
  });
  takeKeyFromHash();
  start();
})();
