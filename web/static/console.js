// The live queue: server-sent events upsert rows by alert id; filters hide rows on this page only.
"use strict";
(function () {
  const RANK = { critical: 0, urgent: 1, warning: 2, info: 3 };
  const body = document.querySelector("#queue tbody");
  const status = document.getElementById("live-status");
  const empty = document.getElementById("empty");
  const filters = document.getElementById("filters");
  if (!body || !window.EventSource) return;

  function cell(text, cls) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }
  function row(a) {
    const tr = document.createElement("tr");
    tr.dataset.id = a.id; tr.dataset.severity = a.severity; tr.dataset.hub = a.hub;
    tr.dataset.status = a.status; tr.dataset.opened = a.opened_at;
    const sev = document.createElement("td");
    const badge = document.createElement("span");
    badge.className = "sev sev-" + a.severity; badge.textContent = a.severity;
    sev.appendChild(badge);
    const what = document.createElement("td");
    const link = document.createElement("a");
    link.href = a.url; link.textContent = a.kind_label;
    const summary = document.createElement("span");
    summary.className = "muted"; summary.textContent = a.summary;
    what.append(link, document.createElement("br"), summary);
    tr.append(sev, cell(a.household), what, cell(a.opened_at.slice(11, 16) + " UTC", "hide-sm"),
              cell(a.status + (a.acknowledged_by ? " by " + a.acknowledged_by : "")));
    return tr;
  }
  function order() {
    const rows = Array.from(body.rows);
    rows.sort((x, y) => (RANK[x.dataset.severity] - RANK[y.dataset.severity]) ||
                        x.dataset.opened.localeCompare(y.dataset.opened));
    rows.forEach((r) => body.appendChild(r));
  }
  function applyFilters() {
    const f = new FormData(filters);
    let shown = 0;
    for (const r of body.rows) {
      const hide = (f.get("severity") && r.dataset.severity !== f.get("severity")) ||
                   (f.get("household") && r.dataset.hub !== f.get("household")) ||
                   (f.get("status") && r.dataset.status !== f.get("status"));
      r.hidden = Boolean(hide);
      if (!hide) shown++;
    }
    empty.hidden = shown > 0;
  }
  filters.addEventListener("change", applyFilters);

  const source = new EventSource("/api/alerts/stream");
  source.addEventListener("alert", (e) => {
    const a = JSON.parse(e.data);
    const old = body.querySelector('tr[data-id="' + a.id + '"]');
    const fresh = row(a);
    if (old) { old.replaceWith(fresh); } else { fresh.classList.add("fresh"); body.appendChild(fresh); }
    order(); applyFilters();
  });
  source.addEventListener("closed", (e) => {
    const gone = body.querySelector('tr[data-id="' + JSON.parse(e.data).id + '"]');
    if (gone) gone.remove();
    applyFilters();
  });
  source.onopen = () => { status.textContent = "Live: new alerts appear here without reloading."; };
  source.onerror = () => { status.textContent = "Reconnecting to the live queue…"; };
})();
