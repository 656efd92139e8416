// Pieces shared by the agent and client pages: cached look-ups (units, subjects,
// custom fields), the ticket table, badges, a live-region announcer, and the form
// fields every page builds alike (labelled controls, selects, checkboxes, custom
// fields); the admin pages take their selects and checkboxes from here too.

import { t, h, api, when, userZone, formatSize, state } from "./core.js";

let unitsCache = null;
let unitsAt = 0;
// All units ([{id, name}]); cached for a minute for names, read afresh by forms (fresh = true).
export async function units(fresh = false) {
  if (!unitsCache || fresh || Date.now() - unitsAt > 60_000) {
    unitsAt = Date.now();
    unitsCache = api("GET", "/units").then((r) => r.items).catch(() => []);
  }
  return unitsCache;
}
export async function unitName(id) {
  const u = (await units()).find((x) => String(x.id) === String(id));
  return u ? u.name : id ? `#${id}` : "";
}
// Custom field definitions ([] while GET /custom-fields is not available).
export async function customFields() {
  try { return (await api("GET", "/custom-fields")).items || []; } catch { return []; }
}
export async function subjects() {
  try { return (await api("GET", "/subjects")).items || []; } catch { return []; }
}
// The members of a unit as assignee checkboxes (name "assignee_ids"); throws ApiError.
export async function memberChecks(unitId) {
  const members = (await api("GET", `/units/${unitId}/members`)).items;
  return members.map((m) => checkbox(m.full_name, { name: "assignee_ids", value: m.id }));
}

export function stateBadge(s) { return h("span", { class: `state state-${s}` }, t(`state.${s}`)); }
export function priorityBadge(p) { return h("span", { class: `prio prio-${p}` }, t(`priority.${p}`)); }
export function slaBadge(tk) {
  const s = tk.sla_state || (tk.sla && typeof tk.sla === "object" && !Array.isArray(tk.sla) ? worstClock(tk.sla) : null);
  return s && s !== "off" ? h("span", { class: `sla sla-${s}` }, t(`sla.${s}`)) : "";
}
function worstClock(sla) {
  const order = ["breached", "warning", "ok", "met"];
  const states = Object.values(sla).map((c) => c?.state).filter(Boolean);
  return order.find((s) => states.includes(s)) || null;
}

// The ticket table used by lists and the dashboard (the SLA column only when the
// items carry an SLA state; a check box per row with `selectable`, for bulk actions).
export async function ticketTable(items, { caption, selectable = false } = {}) {
  const names = await Promise.all(items.map((tk) => unitName(tk.unit_id)));
  const withSla = items.some((tk) => tk.sla_state || tk.sla);
  const pick = (tk) => h("td", { class: "col-pick" }, h("input", { type: "checkbox", class: "pick", value: tk.id, "aria-label": t("bulk.pick", { number: tk.number }) }));
  return h("div", { class: "table-wrap" }, h("table", { class: "tickets" },
    caption ? h("caption", { class: "sr-only" }, caption) : null,
    h("thead", {}, h("tr", {},
      selectable ? h("th", { scope: "col", class: "col-pick" }, h("input", { type: "checkbox", class: "pick-all", "aria-label": t("bulk.pick_all") })) : null,
      h("th", { scope: "col" }, "#"), h("th", { scope: "col", class: "col-subject" }, t("ticket.subject")), h("th", { scope: "col" }, t("ticket.state")),
      h("th", { scope: "col" }, t("ticket.priority")), h("th", { scope: "col", class: "col-unit" }, t("ticket.unit")),
      withSla ? h("th", { scope: "col" }, t("ticket.sla")) : null,
      h("th", { scope: "col", class: "col-updated" }, t("ticket.updated")))),
    h("tbody", {}, items.map((tk, i) => h("tr", { "data-ticket": tk.id },
      selectable ? pick(tk) : null,
      h("td", {}, h("a", { href: `#/tickets/${tk.id}` }, `#${tk.number}`)),
      h("td", { class: "col-subject" }, h("a", { href: `#/tickets/${tk.id}` }, tk.subject)),
      h("td", {}, stateBadge(tk.state)), h("td", {}, priorityBadge(tk.priority)), h("td", { class: "col-unit" }, names[i]),
      withSla ? h("td", {}, slaBadge(tk)) : null,
      h("td", { class: "col-updated" }, when(tk.updated_at || tk.created_at)))))));
}

// Initials in a coloured circle (the colour is the name's, so a person keeps his).
export function avatar(name, { small = false } = {}) {
  const words = String(name || "?").replace(/^#/, "").trim().split(/\s+/).filter(Boolean);
  const initials = (words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] || "?").slice(0, 2)).toUpperCase();
  let hash = 0;
  for (const ch of String(name)) hash = (hash * 31 + ch.codePointAt(0)) % 360;
  return h("span", { class: `avatar avatar-h${Math.floor(hash / 30)}${small ? " avatar-small" : ""}`, "aria-hidden": "true" }, initials);
}

// The settings every page needs (file limits, the comment default, clients reopening);
// read once a minute.
let settingsCache = null;
let settingsAt = 0;
export async function ticketSettings() {
  if (!settingsCache || Date.now() - settingsAt > 60_000) {
    settingsAt = Date.now();
    settingsCache = api("GET", "/ticket-settings").catch(() => ({ max_file_bytes: 0, allowed_extensions: [], allowed_types: [] }));
  }
  return settingsCache;
}
// "Up to 10 MB each: .pdf, .png, …" next to a file input.
export function fileHint(settings) {
  if (!settings?.max_file_bytes) return "";
  return t("files.hint", { size: formatSize(settings.max_file_bytes), types: settings.allowed_extensions.join(", ") });
}
// The files' problems found before uploading (size, name ending), one line each.
export function checkFiles(files, settings) {
  const problems = [];
  for (const f of files || []) {
    const ext = f.name.includes(".") ? `.${f.name.split(".").pop().toLowerCase()}` : "";
    if (settings?.max_file_bytes && f.size > settings.max_file_bytes) problems.push(t("files.too_large", { name: f.name, size: formatSize(settings.max_file_bytes) }));
    else if (!f.size) problems.push(t("files.empty", { name: f.name }));
    else if (settings?.allowed_extensions?.length && !settings.allowed_extensions.includes(ext)) problems.push(t("files.type", { name: f.name, types: settings.allowed_extensions.join(", ") }));
  }
  return problems;
}
// A file input with its hint; the hint is filled once the settings are read.
export function fileInput(attrs = {}) {
  const hintId = `hint-${Math.random().toString(36).slice(2)}`;
  const input = h("input", { type: "file", multiple: true, "aria-describedby": hintId, ...attrs });
  const hint = h("span", { class: "muted file-hint", id: hintId });
  ticketSettings().then((s) => {
    hint.textContent = fileHint(s);
    if (s.allowed_extensions?.length) input.setAttribute("accept", s.allowed_extensions.join(","));
  });
  return { input, hint };
}
// The units a staff member filters by: his own (department heads: all).
export async function filterUnits() {
  const all = await units(true);
  const me = state.me;
  if (!me || me.role === "department_head" || me.kind === "client") return all;
  const mine = all.filter((u) => (me.unit_ids || []).includes(u.id));
  return mine.length ? mine : all;
}

// A pop-up's title in the page's language, from its event and ticket (the stored title is
// in the language of the day it was made); the stored one when the event is unknown.
export function notificationTitle(n) {
  const key = `popup.${n.event}`;
  return n.ticket_id && key in state.strings ? t(key, { number: n.ticket_id }) : n.title;
}

// announce("List updated") — read out by screen readers through #announcer.
export function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 50);
}

// ---- form fields --------------------------------------------------------------------
// The label wraps its control, so clicking the text focuses the control.
export function labelled(label, control) { return h("label", {}, label, control); }
// A <select> of [value, text] choices; `value` (an array for a multiple select) is selected.
export function select(name, choices, value, attrs = {}) {
  const chosen = (v) => (Array.isArray(value) ? value.includes(v) : String(v) === String(value ?? ""));
  return h("select", { name, ...attrs }, choices.map(([v, text]) => h("option", { value: v, selected: chosen(v) }, text)));
}
// [id, name] choices from a page of items.
export function options(items, label = (x) => x.name) {
  return items.map((x) => [x.id, label(x)]);
}
export function checkbox(label, attrs = {}) {
  return h("label", { class: "check" }, h("input", { type: "checkbox", ...attrs }), h("span", {}, label));
}
// A term and its description for a <dl class="fields">.
export function detail(label, ...value) { return [h("dt", {}, label), h("dd", {}, ...value)]; }

export const PRIORITIES = ["low", "normal", "high"];
export function prioritySelect(value) {
  return labelled(t("ticket.priority"), select("priority", PRIORITIES.map((p) => [p, t(`priority.${p}`)]), value));
}
// datetime-local is wall time: the label names the time zone it is read in.
export function deadlineField(value) {
  return labelled(h("span", {}, t("ticket.deadline"), h("span", { class: "muted zone" }, ` (${userZone()})`)),
    h("input", { name: "deadline", type: "datetime-local", value }));
}
// A new password and its repeat (the form compares the two before sending).
export function newPasswordInputs() {
  const input = (name) => h("input", { name, type: "password", required: true, minlength: 8, autocomplete: "new-password" });
  return [labelled(t("profile.new_password"), input("new_password")), labelled(t("profile.repeat_password"), input("repeat"))];
}
// Each language's name is marked with its own language, for screen readers.
export function languageSelect(value) {
  return h("select", { name: "language" }, [["en", "English"], ["ru", "Русский"]].map(([v, text]) =>
    h("option", { value: v, selected: v === value, lang: v }, text)));
}
// Time zones for a <datalist> (a few when the browser cannot list them).
export function zoneList(id) {
  let zones = ["UTC", "Europe/Moscow", "Europe/London", "America/New_York", "Asia/Yekaterinburg"];
  try { if (Intl.supportedValuesOf) zones = ["UTC", ...Intl.supportedValuesOf("timeZone")]; } catch { /* keep the short list */ }
  return h("datalist", { id }, zones.map((z) => h("option", { value: z })));
}

// ---- custom fields ------------------------------------------------------------------
// Values are keyed by the field id as a string; the inputs are named cf_<id>.
export function customFieldInputs(defs, values = {}) {
  return defs.map((f) => labelled(
    h("span", {}, f.name, f.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null),
    customFieldControl(f, values[String(f.id)])));
}
function customFieldControl(f, v) {
  const name = `cf_${f.id}`;
  const required = Boolean(f.required);
  const choices = (f.options || []).map((o) => [o, o]);
  if (f.kind === "textarea") return h("textarea", { name, required }, v ?? "");
  if (f.kind === "select") return select(name, [["", "—"], ...choices], v, { required });
  if (f.kind === "multiselect") return select(name, choices, Array.isArray(v) ? v : [], { multiple: true, required });
  if (f.kind === "date") return h("input", { name, type: "date", required, value: v ?? "" });
  return h("input", { name, required, value: v ?? "", maxlength: 1000 });
}
// The filled values; empty ones left out, or null with `clear` (a PATCH clears them).
export function readCustomFields(defs, form, { clear = false } = {}) {
  const data = new FormData(form);
  const out = {};
  for (const f of defs) {
    const name = `cf_${f.id}`;
    const v = f.kind === "multiselect" ? data.getAll(name) : data.get(name);
    if (Array.isArray(v) ? v.length : v) out[String(f.id)] = v;
    else if (clear) out[String(f.id)] = null;
  }
  return out;
}
// The set values as <dl> rows, in the definitions' order.
export function customFieldDetails(defs, values = {}) {
  return defs.filter((f) => values[String(f.id)] != null && values[String(f.id)] !== "").flatMap((f) => {
    const v = values[String(f.id)];
    return detail(f.name, Array.isArray(v) ? v.join(", ") : String(v));
  });
}
