// FedRad dashboard: polls the coordinator's overview (protobuf JSON of AdminService.GetOverview)
// every second and redraws. Data is only ever written as text (never as HTML).
"use strict";

const POLL_MS = 1000;
const tokenKey = "fedrad-admin-token";

function token() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(tokenKey, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname); // keep the token out of the address bar
  }
  return sessionStorage.getItem(tokenKey);
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "title") e.title = v;
    else if (k === "width") e.style.width = v; // CSSOM: allowed under the page's style-src 'self'

    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

const num = (v) => (typeof v === "string" ? Number(v) : v);
const finite = (v) => Number.isFinite(num(v));
const fixed = (v, d) => (finite(v) ? num(v).toFixed(d) : "–");
const shortHash = (h) => (h ? h.slice(0, 12) : "–");
const lower = (s, prefix) => (s || "").replace(prefix, "").toLowerCase();

function ago(ms, now) {
  ms = num(ms);
  if (!ms) return "never";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

function duration(start, end, now) {
  start = num(start); end = num(end);
  if (!start) return "–";
  const s = ((end || now) - start) / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

function rows(body, items, render) {
  body.replaceChildren(...items.map(render));
}

function renderSites(sites, now) {
  document.getElementById("sites-empty").hidden = sites.length > 0;
  rows(document.getElementById("sites-body"), sites, (s) => el("tr", { "data-site": s.siteId },
    el("td", {}, s.siteId),
    el("td", {}, el("span", { class: `badge ${s.approval || "pending"}` }, s.approval || "–")),
    el("td", {}, el("span", { class: s.healthy ? "healthy" : "silent" }, s.healthy ? "healthy" : "silent")),
    el("td", { title: new Date(num(s.lastHeartbeatUnixMs)).toISOString() }, ago(s.lastHeartbeatUnixMs, now)),
    el("td", {}, s.agentVersion || "–")));
}

function totalRounds(spec) {
  return spec.rounds + 1 + (spec.noStandardisation ? 0 : 1); // training rounds, evaluation, standardisation
}

function renderStudy(st, now) {
  const spec = st.spec;
  const state = lower(st.state, "STUDY_STATE_");
  const closed = st.rounds.filter((r) => r.state !== "open").length;
  const total = totalRounds(spec);
  const pct = Math.round((100 * closed) / total);
  const open = st.rounds.find((r) => r.state === "open");

  const card = el("article", { class: "study", "data-study": spec.studyId },
    el("div", { class: "study-head" },
      el("h3", {}, spec.studyId),
      el("span", { class: `badge state-${state}` }, state),
      el("span", { class: "meta" }, `${spec.model}, ${spec.strategy}, ${spec.rounds} training rounds, quorum ${spec.minSites}, deadline ${spec.roundTimeoutSeconds} s per round`),
      el("span", { class: "meta", title: st.definitionSha256 }, "definition SHA-256 ", el("code", {}, shortHash(st.definitionSha256)))),
    el("div", { class: "progress" },
      el("div", { class: "track", role: "progressbar", "aria-label": `${spec.studyId} rounds`, "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(closed) },
        el("div", { class: "fill", width: `${pct}%` })),
      el("span", { class: "rounds-done" }, `${closed} of ${total} rounds closed`)));
  if (st.failureReason) card.append(el("p", { class: "error" }, st.failureReason));

  if (open) {
    const answered = new Set(open.participants);
    card.append(el("div", { class: "meta" }, `round ${open.round} (${lower(open.kind, "TASK_KIND_")}) open for ${duration(open.startedUnixMs, 0, now)}: ${open.participants.length} of ${open.selectedSites.length} sites answered`),
      el("div", { class: "sites-round" }, ...open.selectedSites.map((s) => el("span", { class: `chip ${answered.has(s) ? "answered" : ""}` }, s))));
  }

  if (st.rounds.length > 0) {
    const table = el("table", { class: "rounds" },
      el("thead", {}, el("tr", {}, ...["round", "kind", "state", "participants", "started", "duration", "rejected", "loss", "closed because"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...st.rounds.map((r) => el("tr", {},
        el("td", { class: "num" }, r.round),
        el("td", {}, lower(r.kind, "TASK_KIND_")),
        el("td", {}, el("span", { class: r.state }, r.state)),
        el("td", { title: r.participants.join(", ") }, `${r.participants.length}/${r.selectedSites.length}`),
        el("td", {}, new Date(num(r.startedUnixMs)).toISOString().slice(11, 19)),
        el("td", { class: "num" }, duration(r.startedUnixMs, r.closedUnixMs, now)),
        el("td", { class: "num" }, r.rejectedUpdates),
        el("td", { class: "num" }, fixed(r.loss, 4)),
        el("td", {}, r.closeReason || "")))));
    card.append(table);
  }

  const ev = st.evaluation;
  if (ev && ev.sites && ev.sites.length > 0) {
    card.append(el("div", { class: "evaluation" },
      el("h3", {}, "Evaluation"),
      el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, "site"), el("th", {}, "patients"), el("th", {}, "AUC"), el("th", {}, "log-loss"))),
        el("tbody", {},
          ...ev.sites.map((s) => el("tr", {}, el("td", {}, s.siteId), el("td", { class: "num" }, num(s.n)), el("td", { class: "num" }, fixed(s.auc, 3)), el("td", { class: "num" }, fixed(s.loss, 4)))),
          el("tr", { class: "pooled" }, el("td", {}, "pooled"), el("td", { class: "num" }, num(ev.pooledN)), el("td", { class: "num", "data-pooled-auc": "" }, fixed(ev.pooledAuc, 3)), el("td", { class: "num" }, fixed(ev.pooledLoss, 4)))))));
  }

  // Leave-one-site-out folds (after the evaluation round): each site's AUC under the model trained without it.
  const folds = st.leaveOneSiteOut || [];
  if (folds.length > 0) {
    card.append(el("div", { class: "evaluation loso" },
      el("h3", {}, "Leave-one-site-out"),
      el("table", { class: "loso" },
        el("thead", {}, el("tr", {}, ...["site left out", "trained on", "state", "rounds", "patients", "AUC", "95% CI (DeLong)", "note"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...folds.map((f) => el("tr", { "data-fold": f.siteId },
          el("td", {}, f.siteId),
          el("td", {}, (f.trainingSites || []).join(", ")),
          el("td", {}, el("span", { class: f.state }, f.state)),
          el("td", { class: "num" }, `${f.firstRound}–${f.lastRound}`),
          el("td", { class: "num" }, f.state === "completed" ? num(f.n || 0) : "–"),
          el("td", { class: "num", "data-fold-auc": "" }, fixed(f.auc, 3)),
          el("td", { class: "num" }, finite(f.aucCiLow) && finite(f.aucCiHigh) ? `[${fixed(f.aucCiLow, 3)}, ${fixed(f.aucCiHigh, 3)}]` : "–"),
          el("td", {}, f.note || "")))))));
  }

  if (st.definition) card.append(el("details", {}, el("summary", {}, "study definition"), el("pre", { class: "definition" }, st.definition)));
  return card;
}

function renderStudies(studies, now) {
  document.getElementById("studies-empty").hidden = studies.length > 0;
  document.getElementById("studies-list").replaceChildren(...studies.map((s) => renderStudy(s, now)));
}

function renderRegistry(models) {
  document.getElementById("registry-empty").hidden = models.length > 0;
  rows(document.getElementById("registry-body"), models, (m) => el("tr", {},
    el("td", {}, m.studyId),
    el("td", { class: "num" }, m.round),
    el("td", {}, lower(m.kind, "TASK_KIND_") + (m.final ? " (final)" : "")),
    el("td", { title: m.modelId }, el("code", {}, shortHash(m.modelId))),
    el("td", { title: m.parentModelId }, el("code", {}, shortHash(m.parentModelId))),
    el("td", {}, m.strategy),
    el("td", { class: "num" }, m.participants),
    el("td", { class: "num" }, fixed(m.loss, 4)),
    el("td", {}, num(m.createdUnixMs) ? new Date(num(m.createdUnixMs)).toISOString().slice(11, 19) : "–")));
}

function showConnection(text, lost) {
  const c = document.getElementById("connection");
  c.textContent = text;
  c.classList.toggle("lost", !!lost);
}

async function poll() {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  try {
    const response = await fetch("/dashboard/api/overview", { headers, cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      const body = await response.json().catch(() => ({}));
      document.getElementById("token-form").hidden = false;
      document.getElementById("token-error").textContent = body.error || response.statusText;
      showConnection("not authorised", true);
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const overview = await response.json();
    const now = num(overview.generatedUnixMs) || Date.now();
    document.getElementById("token-form").hidden = true;
    renderSites(overview.sites || [], now);
    renderStudies(overview.studies || [], now);
    renderRegistry(overview.models || []);
    showConnection(`live, updated ${new Date(now).toISOString().slice(11, 19)} UTC`);
  } catch (e) {
    showConnection(`coordinator unreachable (${e.message}); retrying`, true);
  }
}

document.getElementById("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem(tokenKey, document.getElementById("token").value.trim());
  poll();
});

poll();
setInterval(poll, POLL_MS);
