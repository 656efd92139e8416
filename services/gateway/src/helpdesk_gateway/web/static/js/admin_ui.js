// Building blocks of the admin pages: the admin frame with its section navigation,
// labelled fields, status lines, the one form helper every admin form is built with
// (read, send, report the problem, go on), inline edits and confirmations, tables
// and d/h/m/s duration inputs. Selects and checkboxes come from agent_common.js.
// Everything is built with h() (text only, never markup).

import { t, h, show, api, problemText, showFieldErrors } from "./core.js";
import { select } from "./agent_common.js";

export const SECTIONS = [
  ["units", "#/admin/units"],
  ["users", "#/admin/users"],
  ["sla", "#/admin/sla"],
  ["calendars", "#/admin/calendars"],
  ["subjects", "#/admin/subjects"],
  ["groups", "#/admin/groups"],
  ["positions", "#/admin/positions"],
  ["fields", "#/admin/fields"],
  ["recurring", "#/admin/recurring"],
  ["settings", "#/admin/settings"],
  ["mailboxes", "#/admin/mailboxes"],
  ["webhooks", "#/admin/webhooks"],
  ["portal", "#/admin/portal"],
  ["mailing", "#/admin/mailing"],
  ["dead_letters", "#/admin/dead-letters"],
  ["system", "#/admin/system"],
];
export const ROLES = ["unit_member", "unit_head", "department_head"];
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// The admin frame: the section navigation and the page's content.
export function adminPage(section, title, ...content) {
  const nav = h("nav", { class: "admin-nav", "aria-label": t("admin.sections") },
    h("ul", {}, SECTIONS.map(([key, href]) => h("li", {},
      h("a", { href, "aria-current": key === section ? "page" : false }, t(`admin.section.${key}`))))));
  show(h("div", { class: "admin" }, nav, h("section", { class: "admin-body", "aria-labelledby": "admin-title" },
    h("h1", { id: "admin-title" }, title), ...content)));
}

// A labelled field: the label wraps the control, so clicking the text focuses it.
export function field(label, control, hint) {
  return h("label", { class: "field" }, h("span", {}, label), control, hint ? h("small", { class: "muted" }, hint) : null);
}

// A status line (role=status) that shows success, or an error in the error colour;
// `flash` is shown at once (what the previous page did, e.g. "Unit created").
export function statusLine(flash) {
  const el = h("p", { class: "admin-status", role: "status" });
  el.ok = (text) => { el.className = "admin-status ok"; el.textContent = text; };
  el.fail = (err) => { el.className = "admin-status error"; el.textContent = typeof err === "string" ? err : problemText(err); };
  el.clear = () => { el.className = "admin-status"; el.textContent = ""; };
  if (flash) el.ok(flash);
  return el;
}

// Runs fn and reports an ApiError on the status line; returns whether it worked.
export async function attempt(status, fn) {
  try { await fn(); return true; } catch (err) { status.fail(err); return false; }
}

// The admin form: on submit, body(data, formData) — data being the fields as an
// object — is sent to `path` (PATCH path/id when `id` is given, else POST, unless
// `method` says otherwise); the problem, with its field errors, goes to `status`;
// done(saved) runs after success. A body of null sends nothing (body() has told
// the status line why).
export function apiForm({ status, path, id = null, method, body, done, class: cls = "admin-form" }, ...children) {
  const verb = method ?? (id != null ? "PATCH" : "POST");
  const url = id != null ? `${path}/${id}` : path;
  const form = h("form", {
    class: cls,
    onsubmit: async (e) => {
      e.preventDefault();
      const fd = new FormData(form);
      const sent = body(Object.fromEntries(fd), fd);
      if (sent == null) return;
      let saved;
      try { saved = await api(verb, url, sent); } catch (err) { status.fail(problemText(err, showFieldErrors(form, err))); return; }
      for (const old of form.querySelectorAll(".field-error")) old.remove();
      await done(saved);
    },
  }, ...children);
  return form;
}
// done() for the settings forms, which stay on the page.
export const savedSettings = (status) => () => status.ok(t("admin.settings_saved"));

// A one-line create form: a name and, optionally, one choice (e.g. a client group's
// lead, a subject's SLA plan); POSTs {name[, choice: id or null]}, then done(created).
export function nameForm({ status, path, nameLabel, maxlength, choice, choiceLabel, choices, submitLabel, done }) {
  return apiForm({ status, path, class: "inline-form", body: (d) => nameBody(d, choice), done },
    field(nameLabel, h("input", { name: "name", required: true, maxlength })),
    choice ? field(choiceLabel, select(choice, choices, "")) : null,
    h("button", { type: "submit" }, submitLabel));
}
function nameBody(d, choice) {
  const body = { name: d.name.trim() };
  if (choice) body[choice] = d[choice] ? Number(d[choice]) : null;
  return body;
}

// An inline edit of a row: [openLabel] → fields() + [Save] [Cancel]; PATCHes
// path/id with body(data), then done(saved). The first input gets the focus.
export function inlineEdit({ status, path, id, openLabel, fields, body, done }) {
  const box = h("span", { class: "rename" });
  const open = () => {
    const form = apiForm({ status, path, id, class: "inline-form", body, done }, fields(), h("button", { type: "submit" }, t("admin.save")),
      h("button", { type: "button", class: "secondary", onclick: () => box.replaceChildren(start) }, t("admin.cancel")));
    box.replaceChildren(form);
    form.querySelector("input").focus();
  };
  const start = h("button", { type: "button", class: "secondary", onclick: open }, openLabel);
  box.append(start);
  return box;
}
// An inline rename: [Rename] → name input + [Save] [Cancel]; then after(t("admin.saved")).
export function renameControl(item, path, status, after, label = t("admin.name")) {
  return inlineEdit({
    status, path, id: item.id, openLabel: t("admin.rename"),
    fields: () => field(`${label}: ${item.name}`, h("input", { name: "name", value: item.name, required: true, maxlength: 200 })),
    body: (d) => ({ name: d.name.trim() }),
    done: () => after(t("admin.saved")),
  });
}

// A destructive action asks first, in place: [Delete] → "Delete X?" [Yes, delete] [Cancel].
export function confirmButton(label, question, action, yesLabel = t("admin.yes_delete")) {
  const box = h("span", { class: "confirm" });
  const ask = () => {
    const yes = h("button", { type: "button", class: "danger", onclick: async () => { await action(); } }, yesLabel);
    const no = h("button", { type: "button", class: "secondary", onclick: () => { box.replaceChildren(start); start.focus(); } }, t("admin.cancel"));
    box.replaceChildren(h("span", { role: "alert" }, question), " ", yes, " ", no);
    yes.focus();
  };
  const start = h("button", { type: "button", class: "secondary danger-text", onclick: ask }, label);
  box.append(start);
  return box;
}
// [Delete] → confirmed → DELETE path, then after(t("admin.deleted", { name })).
export function deleteButton(status, path, name, after) {
  return confirmButton(t("admin.delete"), t("admin.confirm_delete", { name }), async () => {
    if (await attempt(status, () => api("DELETE", path))) await after(t("admin.deleted", { name }));
  });
}

// Seconds ⇄ days/hours/minutes/seconds.
export function splitSeconds(total) {
  let rest = Number(total) || 0;
  const d = Math.floor(rest / 86400); rest -= d * 86400;
  const hh = Math.floor(rest / 3600); rest -= hh * 3600;
  const m = Math.floor(rest / 60);
  return { d, h: hh, m, s: rest - m * 60 };
}
export function formatSeconds(total) {
  if (total == null) return "—";
  const p = splitSeconds(total);
  const parts = [["d", p.d], ["h", p.h], ["m", p.m], ["s", p.s]].filter(([, v]) => v).map(([u, v]) => `${v}${t(`admin.unit_${u}`)}`);
  return parts.length ? parts.join(" ") : "0";
}

// Four number inputs (d, h, m, s) for one limit; .seconds() gives the total or null.
export function durationInputs(name, seconds, describe) {
  const p = splitSeconds(seconds ?? 0);
  const inputs = {};
  const box = h("span", { class: "duration", role: "group", "aria-label": describe },
    ["d", "h", "m", "s"].map((u) => {
      inputs[u] = h("input", {
        type: "number", min: 0, step: 1, inputmode: "numeric", name: `${name}.${u}`,
        value: seconds ? p[u] : "", "aria-label": `${describe}, ${t(`admin.unit_long_${u}`)}`, placeholder: "0",
      });
      return h("label", { class: "duration-part" }, inputs[u], h("span", { "aria-hidden": "true" }, t(`admin.unit_${u}`)));
    }));
  box.seconds = () => {
    const v = (u) => Math.max(0, Math.floor(Number(inputs[u].value) || 0));
    const total = ((v("d") * 24 + v("h")) * 60 + v("m")) * 60 + v("s");
    return total > 0 ? total : null;
  };
  return box;
}

// A small table: headers and rows of cells; no rows shows `empty` instead.
export function table(headers, rows, empty = t("admin.none_yet")) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  // On a narrow screen each row becomes a card of labelled cells (admin.css): the label
  // comes from data-label, and the explicit roles keep it a table for screen readers
  // (a table drawn as blocks loses its table semantics in some browsers).
  const label = (i) => (typeof headers[i] === "string" ? headers[i] : "");
  return h("div", { class: "table-wrap" }, h("table", { class: "admin-table", role: "table" },
    h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, headers.map((x) => h("th", { scope: "col", role: "columnheader" }, x)))),
    h("tbody", { role: "rowgroup" }, rows.map((cells) => h("tr", { role: "row" }, cells.map((c, i) => h("td", { role: "cell", "data-label": label(i) }, c)))))));
}

// An endpoint that is not there yet (404/405 on the collection) shows this note.
export function unavailable(err) {
  return err && (err.status === 404 || err.status === 405) ? h("p", { class: "muted" }, t("admin.not_available")) : null;
}
