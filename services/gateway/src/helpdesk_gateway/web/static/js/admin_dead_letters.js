// Failed notifications and parked events, for admins: the deliveries notify gave up on
// (GET /notify/dead-letters) and the events a service's consumers parked
// (GET /system/dead-letters?service=…), each with its reason and attempts, a Replay
// button per row and a "replay all that match" action for the filter shown. A replay
// sends or applies once, however often it is asked for: the server guarantees it.

import { t, h, api, when, addRoute } from "./core.js";
import { select } from "./agent_common.js";
import { adminPage, field, statusLine, attempt, confirmButton } from "./admin_ui.js";

const CHANNELS = ["email", "pushbullet"];
const SERVICES = ["notify", "tickets", "sla", "identity"];

function query(params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  return q.toString();
}

function headRow(labels) {
  return h("thead", {}, h("tr", {}, labels.map((x) => h("th", { scope: "col" }, x))));
}

// A paged table: fetch(cursor) → {items, next_cursor}; row(item) → cells.
function pagedTable({ headers, fetch, row, empty }) {
  const tbody = h("tbody", {});
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("admin.more"));
  const none = h("p", { class: "muted", hidden: true }, empty);
  let cursor = null;
  let count = 0;
  const load = async () => {
    const page = await fetch(cursor);
    for (const item of page.items) tbody.append(h("tr", {}, row(item).map((c) => h("td", {}, c))));
    count += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    none.hidden = count > 0;
  };
  more.addEventListener("click", load);
  const node = h("div", {}, h("div", { class: "table-wrap" }, h("table", { class: "admin-table" }, headRow(headers), tbody)), none, more);
  return { node, load };
}

function replayedText(resp) {
  const failed = resp.failed || [];
  return failed.length
    ? t("admin.replay_partly", { n: resp.replayed.length, failed: failed.length })
    : t("admin.replay_done", { n: resp.replayed.length });
}

// ---- deliveries (notify) -------------------------------------------------------------

async function deliveriesSection(filter, status, redraw) {
  const list = pagedTable({
    headers: [t("admin.when"), t("admin.channel"), t("admin.address"), t("admin.event"), t("admin.attempts"), t("admin.last_error"), ""],
    empty: t("admin.no_dead_letters"),
    fetch: (cursor) => api("GET", `/notify/dead-letters?${query({ limit: 50, cursor, channel: filter.channel, event: filter.event })}`),
    row: (d) => [
      when(d.updated_at || d.created_at), t(`admin.channel.${d.channel}`), d.address || `#${d.user_id}`, d.event,
      String(d.attempts), d.last_error,
      h("button", {
        type: "button", class: "secondary",
        onclick: async () => {
          let resp;
          if (await attempt(status, async () => { resp = await api("POST", `/notify/dead-letters/${d.id}/replay`); })) {
            redraw(replayedText(resp));
          }
        },
      }, t("admin.replay")),
    ],
  });
  await list.load();
  const channel = select("channel", [["", t("admin.any")], ...CHANNELS.map((c) => [c, t(`admin.channel.${c}`)])], filter.channel);
  const event = h("input", { name: "event", value: filter.event || "", placeholder: "ticket.created" });
  const form = h("form", {
    class: "filters",
    onsubmit: (e) => { e.preventDefault(); redraw(null, { ...filter, channel: channel.value, event: event.value.trim() }); },
  }, field(t("admin.channel"), channel), field(t("admin.event"), event), h("button", { type: "submit", class: "secondary" }, t("admin.filter")));
  const all = filter.channel || filter.event
    ? confirmButton(t("admin.replay_matching"), t("admin.confirm_replay_matching"), async () => {
      let resp;
      const body = { channel: filter.channel || null, event: filter.event || null };
      if (await attempt(status, async () => { resp = await api("POST", "/notify/dead-letters/replay", body); })) redraw(replayedText(resp));
    }, t("admin.yes_replay"))
    : h("p", { class: "muted" }, t("admin.replay_pick_filter"));
  return h("section", { class: "settings-section", "aria-label": t("admin.failed_deliveries") },
    h("h2", {}, t("admin.failed_deliveries")), form, all, list.node);
}

// ---- parked events (every service's consumers) ------------------------------------------

async function parkedSection(filter, status, redraw) {
  const service = filter.service || "notify";
  const list = pagedTable({
    headers: [t("admin.when"), t("admin.consumer"), t("admin.event"), t("admin.attempts"), t("admin.last_error"), ""],
    empty: t("admin.no_parked"),
    fetch: (cursor) => api("GET", `/system/dead-letters?${query({ service, limit: 50, cursor, consumer: filter.consumer })}`),
    row: (p) => [
      when(p.created_at), p.consumer, p.event_type, String(p.deliveries), p.error,
      h("button", {
        type: "button", class: "secondary",
        onclick: async () => {
          let resp;
          if (await attempt(status, async () => { resp = await api("POST", "/system/dead-letters/replay", { service, ids: [p.id] }); })) {
            redraw(replayedText(resp));
          }
        },
      }, t("admin.replay")),
    ],
  });
  await list.load();
  const pick = select("service", SERVICES.map((s) => [s, s]), service);
  const consumer = h("input", { name: "consumer", value: filter.consumer || "", placeholder: "notify-tickets" });
  const form = h("form", {
    class: "filters",
    onsubmit: (e) => { e.preventDefault(); redraw(null, { ...filter, service: pick.value, consumer: consumer.value.trim() }); },
  }, field(t("admin.service"), pick), field(t("admin.consumer"), consumer), h("button", { type: "submit", class: "secondary" }, t("admin.filter")));
  const all = confirmButton(t("admin.replay_matching"), t("admin.confirm_replay_matching"), async () => {
    let resp;
    const body = { service, consumer: filter.consumer || null };
    if (await attempt(status, async () => { resp = await api("POST", "/system/dead-letters/replay", body); })) redraw(replayedText(resp));
  }, t("admin.yes_replay"));
  return h("section", { class: "settings-section", "aria-label": t("admin.parked_events") },
    h("h2", {}, t("admin.parked_events")), h("p", { class: "muted" }, t("admin.parked_hint")), form, all, list.node);
}

async function deadLettersView(flash, filter = {}) {
  const status = statusLine(flash);
  const redraw = (message, next = filter) => deadLettersView(message, next);
  const failedOrNote = async (build) => {
    try { return await build(); } catch (err) { const s = statusLine(); s.fail(err); return s; }
  };
  const deliveries = await failedOrNote(() => deliveriesSection(filter, status, redraw));
  const parked = await failedOrNote(() => parkedSection(filter, status, redraw));
  adminPage("dead_letters", t("admin.dead_letters"), h("p", { class: "muted" }, t("admin.dead_letters_hint")), status, deliveries, parked);
}

addRoute(/^\/admin\/dead-letters$/, () => deadLettersView(), { admin: true });
