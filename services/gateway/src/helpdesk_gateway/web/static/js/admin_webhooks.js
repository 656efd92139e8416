// Webhooks (#/admin/webhooks): the URLs integrators gave us and the events each wants,
// with on/off, "send a test event" and delete; the form that creates or edits one (the
// secret is write-only: left empty it keeps the stored one, and a new webhook without
// one gets a generated secret, shown once); and, on a webhook's page, its delivery log
// with "redeliver". The rules are in docs/webhooks.md.

import { t, h, api, when, addRoute } from "./core.js";
import { checkbox } from "./agent_common.js";
import { adminPage, apiForm, field, statusLine, attempt, deleteButton, table, unavailable } from "./admin_ui.js";

const LIST = "#/admin/webhooks";
export const EVENT_TYPES = [
  "ticket.created", "ticket.taken", "ticket.released", "ticket.completed", "ticket.reopened", "ticket.forwarded",
  "ticket.commented", "ticket.edited", "ticket.archived", "ticket.deleted", "sla.warning", "sla.breached",
  "user.registered", "user.changed",
];

let nextFlash = null;

// A webhook as PUT takes it back (no secret: the stored one is kept).
function settingsOf(w) {
  const keys = ["url", "events", "unit_ids", "enabled", "allowed_cidr"];
  return Object.fromEntries(keys.map((k) => [k, w[k]]));
}

// [Send a test event]: queues a webhook.test to this webhook; its delivery shows in the log.
function testButton(w, status) {
  return h("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      if (await attempt(status, () => api("POST", `/webhooks/${w.id}/test`))) {
        status.ok(t(w.enabled ? "admin.hooks.test_queued" : "admin.hooks.test_waits"));
      }
    },
  }, t("admin.hooks.test"));
}

function toggleButton(w, status) {
  return h("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      const sent = { ...settingsOf(w), enabled: !w.enabled };
      if (await attempt(status, () => api("PUT", `/webhooks/${w.id}`, sent))) {
        await webhooksView(t(sent.enabled ? "admin.hooks.switched_on" : "admin.hooks.switched_off", { url: w.url }));
      }
    },
  }, t(w.enabled ? "admin.hooks.switch_off" : "admin.hooks.switch_on"));
}

async function webhooksView(flash) {
  let hooks;
  try {
    hooks = (await api("GET", "/webhooks")).items;
  } catch (err) {
    const status = statusLine();
    status.fail(err);
    adminPage("webhooks", t("admin.webhooks"), unavailable(err) ?? status);
    return;
  }
  const status = statusLine(flash);
  const rows = hooks.map((w) => [
    h("a", { href: `${LIST}/${w.id}` }, w.url),
    h("ul", { class: "plain compact" }, w.events.map((e) => h("li", {}, e))),
    w.unit_ids.length ? w.unit_ids.map((u) => `#${u}`).join(", ") : t("admin.hooks.all_units"),
    h("span", { class: w.enabled ? "badge ok" : "badge off" }, t(w.enabled ? "admin.hooks.on" : "admin.hooks.off")),
    h("span", { class: "row-actions" }, testButton(w, status), toggleButton(w, status),
      deleteButton(status, `/webhooks/${w.id}`, w.url, webhooksView)),
  ]);
  const headers = ["admin.hooks.url", "admin.hooks.events", "admin.hooks.units", "admin.status", "admin.actions"]
    .map((k) => t(k));
  adminPage("webhooks", t("admin.webhooks"),
    h("p", { class: "muted" }, t("admin.hooks.hint")),
    h("p", {}, h("a", { class: "button", href: `${LIST}/new` }, t("admin.hooks.new"))),
    status,
    table(headers, rows, t("admin.hooks.none")));
}

// ---- the delivery log -----------------------------------------------------------------

function deliveryRow(w, d, status, reload) {
  const redeliver = h("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      if (await attempt(status, () => api("POST", `/webhooks/${w.id}/deliveries/${d.id}/redeliver`))) {
        status.ok(t("admin.hooks.redelivered", { event: d.event_type }));
        await reload();
      }
    },
  }, t("admin.hooks.redeliver"));
  const answer = [d.last_status_code ? `HTTP ${d.last_status_code}` : "—",
    d.last_latency_ms != null ? h("small", { class: "muted" }, ` · ${d.last_latency_ms} ms`) : null];
  const detail = [d.last_error ? h("span", { class: d.status === "dead" ? "error" : "" }, d.last_error) : null,
    d.last_response ? h("pre", { class: "excerpt" }, d.last_response) : null];
  const cells = [when(d.updated_at), d.event_type, h("span", { class: `badge ${d.status}` }, t(`admin.hooks.status.${d.status}`)),
    String(d.attempts), answer, detail, redeliver];
  return h("tr", {}, cells.map((c) => h("td", {}, c)));
}

// Newest first, 50 at a time ([Show more] for the next page); [Refresh] reads it again.
function deliveryLog(w, status) {
  const tbody = h("tbody", {});
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("admin.more"));
  const empty = h("p", { class: "muted", hidden: true }, t("admin.hooks.no_deliveries"));
  let cursor = null;
  let shown = 0;
  const fetchPage = async () => {
    const page = await api("GET", `/webhooks/${w.id}/deliveries?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
    for (const d of page.items) tbody.append(deliveryRow(w, d, status, reload));
    shown += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    empty.hidden = shown > 0;
  };
  const reload = async () => { tbody.replaceChildren(); cursor = null; shown = 0; await fetchPage(); };
  more.addEventListener("click", () => attempt(status, fetchPage));
  const refresh = h("button", { type: "button", class: "secondary", onclick: () => attempt(status, reload) },
    t("admin.hooks.refresh"));
  const headers = ["admin.hooks.when", "admin.hooks.event", "admin.status", "admin.attempts", "admin.hooks.answer",
    "admin.hooks.detail", "admin.actions"].map((k) => h("th", { scope: "col" }, t(k)));
  const section = h("div", { class: "webhook-log" },
    h("h2", {}, t("admin.hooks.log")), h("p", {}, refresh),
    h("div", { class: "table-wrap" }, h("table", { class: "admin-table", "aria-label": t("admin.hooks.log") },
      h("thead", {}, h("tr", {}, headers)), tbody)),
    empty, more);
  return { section, load: fetchPage };
}

// ---- create / edit --------------------------------------------------------------------

function webhookBody(d, fd) {
  const body = {
    url: d.url.trim(), events: fd.getAll("events"), unit_ids: fd.getAll("unit_ids").map(Number),
    enabled: fd.has("enabled"), allowed_cidr: d.allowed_cidr.trim(),
  };
  if (d.secret) body.secret = d.secret;
  return body;
}

const BLANK = { url: "https://", events: ["ticket.created"], unit_ids: [], enabled: true, allowed_cidr: "", has_secret: false };

async function webhookFormView(id) {
  const editing = id != null;
  const [hook, units] = await Promise.all([
    editing ? api("GET", `/webhooks/${id}`) : Promise.resolve(null), api("GET", "/units"),
  ]);
  const w = hook ?? BLANK;
  const status = statusLine();
  const events = h("fieldset", {}, h("legend", {}, t("admin.hooks.events")),
    EVENT_TYPES.map((e) => checkbox(e, { name: "events", value: e, checked: w.events.includes(e) })));
  const unitBoxes = h("fieldset", {}, h("legend", {}, t("admin.hooks.units")),
    h("small", { class: "muted" }, t("admin.hooks.units_hint")),
    units.items.map((u) => checkbox(u.name, { name: "unit_ids", value: u.id, checked: w.unit_ids.includes(u.id) })));
  const log = editing ? deliveryLog(w, status) : null;
  const form = apiForm({
    status, path: "/webhooks", id, method: editing ? "PUT" : "POST", body: webhookBody,
    done: (saved) => {
      if (editing) { status.ok(t("admin.hooks.saved", { url: saved.url })); return; }
      nextFlash = saved.secret
        ? t("admin.hooks.created_secret", { url: saved.url, secret: saved.secret })
        : t("admin.hooks.created", { url: saved.url });
      location.hash = LIST;
    },
  },
    field(t("admin.hooks.url"), h("input", {
      name: "url", type: "url", required: true, maxlength: 2000, value: w.url, autocomplete: "off",
    }), t("admin.hooks.url_hint")),
    events,
    unitBoxes,
    field(t("admin.hooks.allowed_cidr"), h("input", {
      name: "allowed_cidr", maxlength: 500, value: w.allowed_cidr, autocomplete: "off", placeholder: "10.20.0.0/24",
    }), t("admin.hooks.allowed_hint")),
    field(t("admin.hooks.secret"), h("input", {
      name: "secret", type: "password", autocomplete: "new-password", minlength: 16, maxlength: 200,
      placeholder: w.has_secret ? "••••••••" : "",
    }), editing ? t("admin.secret_keep") : t("admin.hooks.secret_hint")),
    checkbox(t("admin.hooks.enabled"), { name: "enabled", checked: w.enabled }),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, editing ? t("admin.save") : t("admin.hooks.create")),
      editing ? testButton(w, status) : null,
      h("a", { href: LIST }, t("admin.back_to_list"))),
    status);
  adminPage("webhooks", editing ? t("admin.hooks.edit", { url: w.url }) : t("admin.hooks.new"), form,
    log ? log.section : null);
  if (log) await attempt(status, log.load);
}

addRoute(/^\/admin\/webhooks$/, () => { const flash = nextFlash; nextFlash = null; return webhooksView(flash); }, { admin: true });
addRoute(/^\/admin\/webhooks\/new$/, () => webhookFormView(null), { admin: true });
addRoute(/^\/admin\/webhooks\/(\d+)$/, (id) => webhookFormView(Number(id)), { admin: true });
