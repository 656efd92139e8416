// Ticket lists (#/tickets?box=inbox|outbox|archive with filters, sort, search and
// cursor paging; the total; saved views; bulk actions for staff; j/k/o/c keys, see
// agent_keys.js) and the dashboard (counters, notifications, inbox top 10).
// Both refresh live on `ticket.updated` (debounced) without a reload.

import { state, t, h, show, when, api, problemText, onLive, onLeave, addRoute, debounce, isStaff, rememberNames } from "./core.js";
import { ticketTable, announce, labelled, select, options, PRIORITIES, filterUnits, notificationTitle } from "./agent_common.js";
import { bulkBar } from "./agent_bulk.js";
import { savedViews } from "./agent_views.js";

const BOXES = ["inbox", "outbox", "archive"];

function parseQuery(query) {
  const params = new URLSearchParams(query || "");
  if (!BOXES.includes(params.get("box"))) params.set("box", "inbox");
  if (!isStaff()) { params.set("box", "inbox"); for (const k of ["unit_id", "assignee_id", "locked", "sla_state"]) params.delete(k); }
  return params;
}

// A filter: its choices after "any" (the empty value).
function filter(name, label, choices, value) {
  return labelled(label, select(name, [["", t("filter.any")], ...choices], value));
}

// The filters; applying them is navigating to the list with them in the address.
function filterForm(params, unitList, staff) {
  const box = params.get("box");
  const form = h("form", {
    class: "filters", role: "search", "aria-label": t("filter.title"),
    onsubmit: (e) => {
      e.preventDefault();
      const p = new URLSearchParams({ box });
      for (const [k, v] of new FormData(form)) if (v) p.set(k, v);
      location.hash = `#/tickets?${p}`;
    },
  },
    h("label", { class: "grow" }, t("filter.q"), h("input", { name: "q", type: "search", value: params.get("q") || "" })),
    filter("state", t("ticket.state"), (box === "archive" ? ["archived"] : ["new", "in_work", "done"]).map((s) => [s, t(`state.${s}`)]), params.get("state")),
    filter("priority", t("ticket.priority"), PRIORITIES.map((p) => [p, t(`priority.${p}`)]), params.get("priority")),
    staff ? filter("unit_id", t("ticket.unit"), options(unitList), params.get("unit_id")) : null,
    staff ? filter("assignee_id", t("ticket.assignees"), [[state.me.id, t("filter.me")]], params.get("assignee_id")) : null,
    staff ? filter("locked", t("filter.locked"), [["me", t("filter.locked_me")], ["others", t("filter.locked_others")]], params.get("locked")) : null,
    staff ? filter("sla_state", t("ticket.sla"), ["ok", "warning", "breached", "met"].map((s) => [s, t(`sla.${s}`)]), params.get("sla_state")) : null,
    labelled(t("filter.sort"), select("sort", ["-id", "id", "-updated_at", "updated_at"].map((s) => [s, t(`sort.${s}`)]), params.get("sort") || "-id")),
    h("div", { class: "filter-buttons" },
      h("button", { type: "submit" }, t("filter.apply")),
      h("a", { href: `#/tickets?box=${box}`, class: "button secondary" }, t("filter.reset"))));
  return form;
}

// On a phone the filters fold away behind one line (open when any is set).
function foldable(form, params) {
  const set = [...params.keys()].some((k) => !["box", "sort"].includes(k));
  return h("details", { class: "filters-fold", open: set || window.innerWidth > 600 }, h("summary", {}, t("filter.title")), form);
}

async function listView(query) {
  const params = parseQuery(query);
  const box = params.get("box");
  const unitList = await filterUnits();
  const staff = isStaff();
  const error = h("p", { class: "error", role: "alert" });
  const count = h("p", { class: "muted", id: "list-count" });
  const holder = h("div", { id: "ticket-list" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("list.more"));
  let cursor = null;
  let shown = [];

  const apiQuery = (extra = {}) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(extra)) if (v != null) p.set(k, v);
    for (const [k, v] of [...p.entries()]) if (v === "") p.delete(k);
    return `/tickets?${p}`;
  };
  const bulk = staff ? bulkBar(() => load(true)) : null;
  let total = null;
  const countTotal = async () => {
    const p = new URLSearchParams(params);
    for (const k of ["sort", "cursor", "limit"]) p.delete(k);
    try { total = await api("GET", `/tickets/total?${p}`); } catch { total = null; }
  };
  const render = async () => {
    const table = shown.length ? await ticketTable(shown, { caption: t(`box.${box}`), selectable: staff }) : h("p", { class: "muted" }, t("list.empty"));
    holder.replaceChildren(table);
    bulk?.attach(table);
    count.textContent = total
      ? t(total.is_capped ? "list.count_of_more" : "list.count_of", { n: shown.length, total: total.total.toLocaleString(document.documentElement.lang) })
      : t("list.count", { n: shown.length });
    more.hidden = !cursor;
  };
  const load = async (reset) => {
    try {
      const limit = reset ? Math.min(Math.max(shown.length, 50), 200) : 50;
      const page = await api("GET", apiQuery({ limit, cursor: reset ? null : cursor }));
      rememberNames(page.names);
      shown = reset ? page.items : [...shown, ...page.items];
      cursor = page.items.length < limit ? null : page.next_cursor;
      error.textContent = "";
      if (reset) await countTotal();
      await render();
    } catch (err) { error.textContent = problemText(err); }
  };
  more.addEventListener("click", async () => { await load(false); });

  const tabs = staff
    ? h("nav", { class: "tabs", "aria-label": t("list.boxes") }, BOXES.map((b) => h("a", { href: `#/tickets?box=${b}`, "aria-current": b === box ? "page" : false }, t(`box.${b}`))))
    : null;
  const views = await savedViews(params);
  show(h("h1", {}, staff ? t(`box.${box}`) : t("box.mine")), tabs, views.node, foldable(filterForm(params, unitList, staff), params), error, count, bulk?.node, holder, more);
  await load(true);
  const reload = debounce(async () => { await load(true); announce(t("list.updated")); }, 250);
  onLeave(onLive("ticket.updated", reload));
  onLeave(onLive("resync", reload));
}

const COUNTERS = [
  ["new", "box=inbox&state=new"],
  ["in_work", "box=inbox&state=in_work"],
  ["mine", "box=inbox&locked=me"],
  ["sla_warning", "box=inbox&sla_state=warning"],
  ["sla_breached", "box=inbox&sla_state=breached"],
];

async function dashboardView() {
  const staff = isStaff();
  const counters = h("ul", { class: "counters", id: "counters", "aria-label": t("dashboard.counters") });
  const inbox = h("div", { id: "dashboard-inbox" });
  const notes = h("div", { id: "dashboard-notes" });

  const loadCounters = async () => {
    if (!staff) return;
    try {
      const c = await api("GET", "/tickets/counters");
      counters.replaceChildren(...COUNTERS.map(([key, q]) => h("li", { class: `counter counter-${key}` },
        h("a", { href: `#/tickets?${q}` }, h("span", { class: "counter-n" }, String(c[key] ?? 0)), h("span", { class: "counter-label" }, t(`counter.${key}`))))));
      counters.hidden = false;
    } catch { counters.hidden = true; }
  };
  const loadInbox = async () => {
    try {
      const page = await api("GET", "/tickets?box=inbox&limit=10");
      inbox.replaceChildren(page.items.length ? await ticketTable(page.items, { caption: t("dashboard.inbox") }) : h("p", { class: "muted" }, t("list.empty")),
        h("p", {}, h("a", { href: "#/tickets?box=inbox" }, t("dashboard.all"))));
    } catch { inbox.replaceChildren(); }
  };
  const loadNotes = async () => {
    try {
      const page = await api("GET", "/me/notifications?limit=10");
      notes.replaceChildren(page.items.length
        ? h("ul", { id: "notifications", class: "notes" }, page.items.map((n) => h("li", { class: n.is_read ? "" : "unread" },
          n.ticket_id ? h("a", { href: `#/tickets/${n.ticket_id}`, onclick: () => { if (!n.is_read) api("POST", `/me/notifications/${n.id}/read`).catch(() => null); } }, notificationTitle(n)) : h("strong", {}, notificationTitle(n)), " — ", n.body, " ", h("span", { class: "muted" }, when(n.created_at)))))
        : h("p", { class: "muted" }, t("dashboard.none")));
    } catch { notes.replaceChildren(); }
  };
  show(
    h("h1", {}, t("dashboard.title", { name: state.me.full_name })),
    staff ? counters : null,
    h("h2", {}, staff ? t("dashboard.inbox") : t("box.mine")), inbox,
    h("h2", {}, t("dashboard.notifications")), notes,
  );
  await Promise.all([loadCounters(), loadInbox(), loadNotes()]);
  let pending = {};
  const run = debounce(async () => {
    const what = pending;
    pending = {};
    await Promise.all([what.counters && loadCounters(), what.inbox && loadInbox(), what.notes && loadNotes()]);
    announce(t("list.updated"));
  }, 400);
  const again = (what) => { for (const [k, v] of Object.entries(what)) pending[k] = pending[k] || v; run(); };
  onLeave(onLive("ticket.updated", (msg) => again({ counters: msg.counts_changed !== false, inbox: true })));
  onLeave(onLive("counters", () => again({ counters: true, inbox: true })));
  onLeave(onLive("notification", () => again({ counters: true, notes: true, inbox: true })));
  onLeave(onLive("resync", () => again({ counters: true, notes: true, inbox: true })));
}

addRoute(/^\/$/, dashboardView);
addRoute(/^\/tickets(?:\?(.*))?$/, listView);
