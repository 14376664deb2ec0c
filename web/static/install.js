// The commissioning page's live part: every 1.5 s the page is fetched again and what changed in
// #live is swapped in (new sensors, live tests, checklist). A sensor the installer is naming right now
// (focused or typed-in fields) is left alone until they are done. Without this script the page still
// works: reload it.
"use strict";
(function () {
  const EVERY_MS = 1500;
  const live = document.getElementById("live");
  const status = document.getElementById("live-status");
  if (!live || !window.fetch || !window.DOMParser) return;
  const source = live.dataset.src;

  function dirty(el) {
    if (el.type === "hidden" || el.type === "submit") return false;
    if (el.tagName === "SELECT") {
      const initial = Array.from(el.options).findIndex((o) => o.defaultSelected);
      return el.selectedIndex !== (initial < 0 ? 0 : initial);
    }
    if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
    return el.value !== el.defaultValue;
  }
  function busy(node) {
    const active = document.activeElement;
    if (active && active !== document.body && node.contains(active) &&
        /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return true;
    return Array.from(node.querySelectorAll("input, select, textarea")).some(dirty);
  }
  function update(old, fresh) {
    if (old.isEqualNode(fresh)) return;
    if (!busy(old)) { old.replaceWith(fresh); return; }
    // Somebody is working in here: bring its other parts up to date, child by child (by id).
    const kids = Array.from(fresh.children).filter((k) => k.id);
    const wanted = new Set(kids.map((k) => k.id));
    for (const o of Array.from(old.children)) {
      if (o.id && !wanted.has(o.id) && !busy(o)) o.remove();
    }
    let previous = null;
    for (const k of kids) {
      const o = document.getElementById(k.id);
      if (o && o.parentNode === old) {
        update(o, k);
      } else if (previous) {
        previous.after(k);
      } else {
        const first = Array.from(old.children).find((c) => c.id);
        if (first) first.before(k); else old.append(k);
      }
      previous = document.getElementById(k.id);
    }
  }
  async function refresh() {
    if (document.hidden) return;
    const response = await fetch(source, { credentials: "same-origin", cache: "no-store",
                                           headers: { accept: "text/html" } });
    if (!response.ok || response.redirected) throw new Error("status " + response.status);
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("live");
    if (!fresh) throw new Error("no live part");
    update(document.getElementById("live"), document.adoptNode(fresh));
  }
  function say(text) {
    if (status && status.textContent !== text) status.textContent = text;  // no repeats read out
  }
  async function loop() {
    try {
      await refresh();
      say("This page updates itself while you work.");
    } catch (e) {
      say("Live updates paused (" + e.message + "): reload the page.");
    }
    window.setTimeout(loop, EVERY_MS);
  }
  window.setTimeout(loop, EVERY_MS);
})();
