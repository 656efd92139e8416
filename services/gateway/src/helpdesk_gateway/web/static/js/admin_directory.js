// Admin pages for client groups, positions, custom ticket fields and recurring tickets.

import { t, h, api, when, addRoute } from "./core.js";
import { select, options, checkbox, zoneList, PRIORITIES } from "./agent_common.js";
import {
  adminPage, apiForm, nameForm, field, statusLine, attempt, deleteButton, renameControl, table, unavailable, WEEKDAYS,
} from "./admin_ui.js";

// ---- client groups ------------------------------------------------------------------

async function groupsView(flash) {
  const [groups, clients] = await Promise.all([api("GET", "/client-groups"), api("GET", "/users?kind=client&limit=200")]);
  const leadOptions = [["", t("admin.no_lead")], ...options(clients.items, (u) => `${u.full_name} (${u.login})`)];
  const status = statusLine(flash);
  const create = nameForm({
    status, path: "/client-groups", nameLabel: t("admin.group_name"), maxlength: 200,
    choice: "lead_id", choiceLabel: t("admin.lead"), choices: leadOptions, submitLabel: t("admin.create_group"),
    done: (g) => groupsView(t("admin.group_created", { name: g.name })),
  });
  // The lead is saved as soon as it is chosen.
  const leadControl = (g) => {
    const sel = select("lead_id", leadOptions, g.lead_id, { "aria-label": t("admin.lead_of", { name: g.name }) });
    sel.addEventListener("change", async () => {
      if (await attempt(status, () => api("PATCH", `/client-groups/${g.id}`, { lead_id: sel.value ? Number(sel.value) : null }))) status.ok(t("admin.saved"));
    });
    return sel;
  };
  const rows = groups.items.map((g) => [
    g.name, leadControl(g),
    h("span", { class: "row-actions" }, renameControl(g, "/client-groups", status, groupsView),
      deleteButton(status, `/client-groups/${g.id}`, g.name, groupsView)),
  ]);
  adminPage("groups", t("admin.client_groups"), create, status, table([t("admin.name"), t("admin.lead"), t("admin.actions")], rows));
}

// ---- positions ----------------------------------------------------------------------

async function positionsView(flash) {
  const positions = (await api("GET", "/positions")).items;
  const status = statusLine(flash);
  const create = nameForm({
    status, path: "/positions", nameLabel: t("admin.position_name"), maxlength: 200, submitLabel: t("admin.create_position"),
    done: (p) => positionsView(t("admin.position_created", { name: p.name })),
  });
  const rows = positions.map((p) => [p.name, h("span", { class: "row-actions" }, renameControl(p, "/positions", status, positionsView),
    deleteButton(status, `/positions/${p.id}`, p.name, positionsView))]);
  adminPage("positions", t("admin.positions"), create, status, table([t("admin.name"), t("admin.actions")], rows));
}

// ---- custom fields ------------------------------------------------------------------

const FIELD_KINDS = ["text", "textarea", "select", "multiselect", "date"];

function customFieldForm(f, status, done) {
  const body = (d, fd) => ({
    name: d.name.trim(), kind: d.kind,
    options: d.options.split("\n").map((s) => s.trim()).filter(Boolean),
    required: fd.has("required"), client_visible: fd.has("client_visible"),
    position: Number(d.position) || 0,
  });
  return apiForm({ status, path: "/custom-fields", id: f?.id, body, done },
    field(t("admin.field_name"), h("input", { name: "name", required: true, maxlength: 200, value: f?.name ?? "" })),
    field(t("admin.field_kind"), select("kind", FIELD_KINDS.map((k) => [k, t(`admin.field_kind.${k}`)]), f?.kind ?? "text")),
    field(t("admin.field_options"), Object.assign(h("textarea", { name: "options", rows: 3 }), { value: (f?.options ?? []).join("\n") }), t("admin.field_options_hint")),
    checkbox(t("admin.field_required"), { name: "required", checked: f?.required ?? false }),
    checkbox(t("admin.field_client_visible"), { name: "client_visible", checked: f?.client_visible ?? true }),
    field(t("admin.field_position"), h("input", { name: "position", type: "number", min: 0, value: f?.position ?? 0 })),
    h("div", { class: "actions" }, h("button", { type: "submit" }, f ? t("admin.save") : t("admin.create_field")),
      f ? h("a", { href: "#/admin/fields" }, t("admin.back_to_list")) : null));
}

async function fieldsView(flash) {
  const status = statusLine(flash);
  let list;
  try { list = (await api("GET", "/custom-fields")).items; } catch (err) {
    const note = unavailable(err);
    if (!note) throw err;
    adminPage("fields", t("admin.custom_fields"), note);
    return;
  }
  const rows = list.map((f) => [
    h("a", { href: `#/admin/fields/${f.id}` }, f.name), t(`admin.field_kind.${f.kind}`),
    (f.options || []).join(", ") || "—",
    [f.required ? t("admin.field_required") : null, f.client_visible ? t("admin.field_client_visible") : null].filter(Boolean).join(", ") || "—",
    deleteButton(status, `/custom-fields/${f.id}`, f.name, fieldsView),
  ]);
  adminPage("fields", t("admin.custom_fields"),
    table([t("admin.name"), t("admin.field_kind"), t("admin.field_options"), t("admin.flags"), t("admin.actions")], rows),
    h("h2", {}, t("admin.new_field")),
    customFieldForm(null, status, (saved) => fieldsView(t("admin.field_created", { name: saved.name }))), status);
}

async function fieldView(id) {
  const list = (await api("GET", "/custom-fields")).items;
  const f = list.find((x) => String(x.id) === String(id));
  if (!f) { const e = new Error("not found"); e.status = 404; throw e; }
  const status = statusLine();
  adminPage("fields", t("admin.edit_field", { name: f.name }), customFieldForm(f, status, () => status.ok(t("admin.saved"))), status);
}

// ---- recurring tickets --------------------------------------------------------------

async function recurringView(flash) {
  const units = (await api("GET", "/units")).items;
  const status = statusLine(flash);
  let list = null;
  let note = null;
  try { list = (await api("GET", "/recurring-tickets")).items; } catch (err) { note = unavailable(err); if (!note) throw err; }
  const unitName = new Map(units.map((u) => [u.id, u.name]));
  const rows = (list || []).map((r) => [
    r.subject, unitName.get(r.unit_id) ?? `#${r.unit_id}`, t(`admin.every.${r.kind}`), r.at ?? "",
    r.next_run_at ? when(r.next_run_at) : "—",
    h("span", { class: "row-actions" },
      h("button", {
        type: "button", class: "secondary",
        onclick: async () => { if (await attempt(status, () => api("PATCH", `/recurring-tickets/${r.id}`, { active: !r.active }))) await recurringView(t("admin.saved")); },
      }, r.active === false ? t("admin.resume") : t("admin.pause")),
      deleteButton(status, `/recurring-tickets/${r.id}`, r.subject, recurringView)),
  ]);
  adminPage("recurring", t("admin.recurring"),
    note ?? table([t("admin.ticket_subject"), t("admin.unit"), t("admin.repeat"), t("admin.at"), t("admin.next_run"), t("admin.actions")], rows),
    h("h2", {}, t("admin.new_recurring")), recurringForm(units, status), status);
}

function recurringForm(units, status) {
  const today = new Date().toISOString().slice(0, 10);
  const body = (d, fd) => ({
    subject: d.subject.trim(), body: d.body, priority: d.priority, unit_id: Number(d.unit_id), kind: d.kind,
    at: d.at, start: d.start, end: d.end || null, every_days: Number(d.every_days) || 1,
    weekdays: fd.getAll("weekdays").map(Number),
    month_days: d.month_days.split(",").map((s) => Number(s.trim())).filter((n) => n > 0),
    time_zone: d.time_zone.trim() || "UTC",
  });
  return apiForm({ status, path: "/recurring-tickets", body, done: (r) => recurringView(t("admin.recurring_created", { when: when(r.next_run_at) })) },
    field(t("admin.ticket_subject"), h("input", { name: "subject", required: true, maxlength: 255 })),
    field(t("admin.ticket_body"), h("textarea", { name: "body", rows: 3 })),
    field(t("admin.unit"), select("unit_id", options(units), "", { required: true })),
    field(t("admin.priority"), select("priority", PRIORITIES.map((p) => [p, t(`admin.priority.${p}`)]), "normal")),
    field(t("admin.repeat"), select("kind", ["daily", "weekly", "monthly"].map((k) => [k, t(`admin.every.${k}`)]), "daily")),
    field(t("admin.every_days"), h("input", { name: "every_days", type: "number", min: 1, max: 366, value: 1 })),
    h("fieldset", {}, h("legend", {}, t("admin.weekdays")), WEEKDAYS.map((w, i) => checkbox(t(`admin.weekday.${w}`), { name: "weekdays", value: i }))),
    field(t("admin.month_days"), h("input", { name: "month_days", placeholder: "1, 15" })),
    field(t("admin.at"), h("input", { name: "at", type: "time", required: true, value: "09:00" })),
    field(t("admin.start"), h("input", { name: "start", type: "date", required: true, value: today })),
    field(t("admin.end"), h("input", { name: "end", type: "date" })),
    field(t("admin.time_zone"), h("input", { name: "time_zone", list: "rec-zones", value: "UTC" })), zoneList("rec-zones"),
    h("button", { type: "submit" }, t("admin.create_recurring")));
}

addRoute(/^\/admin\/groups$/, () => groupsView(), { admin: true });
addRoute(/^\/admin\/positions$/, () => positionsView(), { admin: true });
addRoute(/^\/admin\/fields$/, () => fieldsView(), { admin: true });
addRoute(/^\/admin\/fields\/(\d+)$/, fieldView, { admin: true });
addRoute(/^\/admin\/recurring$/, () => recurringView(), { admin: true });
