// Mail intake (#/admin/mailboxes): the IMAP mailboxes whose mail becomes tickets and
// comments — each with its last poll, last error and counts, a connection test and
// on/off —, the form that creates or edits one (the password is write-only: left empty
// it keeps the stored one), and the quarantine: mail that could not be filed, with the
// reason and a retry. The rules are in docs/product/mail-intake.md.

import { t, h, api, when, addRoute } from "./core.js";
import { select, options, checkbox, memberChecks, PRIORITIES } from "./agent_common.js";
import { adminPage, apiForm, field, statusLine, attempt, deleteButton, table, unavailable } from "./admin_ui.js";

const SECURITY = ["tls", "starttls", "none"];
const DEFAULT_PORTS = { tls: 993, starttls: 143, none: 143 };
const POLICIES = ["refuse", "create_client", "anonymous"];
const COUNTS = ["ingested", "replies", "dropped", "refused", "quarantined"];
const LIST = "#/admin/mailboxes";

// What the list shows after the form sent the admin back to it.
let nextFlash = null;

// A mailbox as PUT takes it back (no password: the stored one is kept).
function settingsOf(m) {
  const keys = ["name", "enabled", "host", "port", "security", "allow_plain", "login", "folder", "processed_folder",
    "quarantine_folder", "unit_id", "assignee_ids", "priority", "subject_id", "unknown_senders"];
  return Object.fromEntries(keys.map((k) => [k, m[k]]));
}

// ---- the list -----------------------------------------------------------------------

function pollCell(s) {
  if (!s.last_poll_at) return h("span", { class: "muted" }, t("admin.mail.never"));
  return [when(s.last_poll_at), s.idle ? h("small", { class: "muted" }, ` · ${t("admin.mail.idle")}`) : null];
}
function errorCell(s) {
  if (!s.last_error) return "—";
  return h("span", { class: "error" }, s.last_error, h("br"), h("small", { class: "muted" }, when(s.last_error_at)));
}
function countsCell(s) {
  return h("ul", { class: "plain compact" }, COUNTS.map((k) => h("li", {}, t(`admin.mail.count.${k}`, { n: s[k] }))));
}

// [Test]: signs in with the saved settings and opens the folder, changing nothing.
function testButton(m, status) {
  return h("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      status.ok(t("admin.working"));
      let r;
      if (!(await attempt(status, async () => { r = await api("POST", `/mailboxes/${m.id}/test`); }))) return;
      if (r.ok) status.ok(t("admin.mail.test_ok", { name: m.name, detail: r.detail, idle: r.idle ? t("admin.mail.idle") : t("admin.mail.polled") }));
      else status.fail(t("admin.mail.test_failed", { name: m.name, detail: r.detail }));
    },
  }, t("admin.mail.test"));
}

// [Switch off] / [Switch on]: the same settings with `enabled` flipped.
function toggleButton(m, status) {
  return h("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      const sent = { ...settingsOf(m), enabled: !m.enabled };
      if (await attempt(status, () => api("PUT", `/mailboxes/${m.id}`, sent))) {
        await mailboxesView(t(sent.enabled ? "admin.mail.switched_on" : "admin.mail.switched_off", { name: m.name }));
      }
    },
  }, t(m.enabled ? "admin.mail.switch_off" : "admin.mail.switch_on"));
}

async function mailboxesView(flash) {
  let boxes;
  try {
    boxes = (await api("GET", "/mailboxes")).items;
  } catch (err) {
    const status = statusLine();
    status.fail(err);
    adminPage("mailboxes", t("admin.mailboxes"), unavailable(err) ?? status);
    return;
  }
  const units = (await api("GET", "/units")).items;
  const unitName = new Map(units.map((u) => [u.id, u.name]));
  const status = statusLine(flash);
  const rows = boxes.map((m) => [
    h("a", { href: `${LIST}/${m.id}` }, m.name),
    h("span", {}, m.login, h("br"), h("small", { class: "muted" }, `${m.host}:${m.port} · ${t(`admin.mail.security.${m.security}`)}`)),
    unitName.get(m.unit_id) ?? `#${m.unit_id}`,
    h("span", { class: m.enabled ? "badge ok" : "badge off" }, t(m.enabled ? "admin.mail.on" : "admin.mail.off")),
    pollCell(m.stats),
    errorCell(m.stats),
    countsCell(m.stats),
    h("span", { class: "row-actions" }, testButton(m, status), toggleButton(m, status),
      deleteButton(status, `/mailboxes/${m.id}`, m.name, mailboxesView)),
  ]);
  const headers = ["admin.name", "admin.mail.account", "admin.unit", "admin.status", "admin.mail.last_poll",
    "admin.mail.last_error", "admin.mail.counts", "admin.actions"].map((k) => t(k));
  adminPage("mailboxes", t("admin.mailboxes"),
    h("p", { class: "muted" }, t("admin.mail.hint")),
    h("p", {}, h("a", { class: "button", href: `${LIST}/new` }, t("admin.mail.new"))),
    status,
    table(headers, rows, t("admin.mail.none")),
    h("h2", {}, t("admin.mail.quarantine")),
    await quarantineSection(boxes, status));
}

// ---- the quarantine -----------------------------------------------------------------

function outcomeText(r) {
  if (r.kind === "ticket") return t("admin.mail.outcome.ticket", { id: r.ticket_id });
  if (r.kind === "comment") return t("admin.mail.outcome.comment", { id: r.ticket_id });
  return t(`admin.mail.outcome.${r.kind}`, { reason: r.reason });
}

function quarantineRow(q, names, status) {
  const retry = q.retryable
    ? h("button", {
      type: "button", class: "secondary",
      onclick: async () => {
        status.ok(t("admin.working"));
        let r;
        if (await attempt(status, async () => { r = await api("POST", `/mail-quarantine/${q.id}/retry`); })) {
          await mailboxesView(outcomeText(r));
        }
      },
    }, t("admin.mail.retry"))
    : h("span", { class: "muted" }, t("admin.mail.not_kept"));
  const cells = [when(q.received_at), names.get(q.mailbox_id) ?? `#${q.mailbox_id}`, q.sender, q.subject, q.reason,
    String(q.attempts), retry];
  return h("tr", {}, cells.map((c) => h("td", {}, c)));
}

// Newest first, 50 at a time ([Show more] for the next page).
async function quarantineSection(boxes, status) {
  const names = new Map(boxes.map((m) => [m.id, m.name]));
  const tbody = h("tbody", {});
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("admin.more"));
  const empty = h("p", { class: "muted", hidden: true }, t("admin.mail.quarantine_empty"));
  let cursor = null;
  let shown = 0;
  const fetchPage = async () => {
    const page = await api("GET", `/mail-quarantine?limit=50${cursor ? `&cursor=${cursor}` : ""}`);
    for (const q of page.items) tbody.append(quarantineRow(q, names, status));
    shown += page.items.length;
    cursor = page.next_cursor;
    more.hidden = !cursor;
    empty.hidden = shown > 0;
  };
  more.addEventListener("click", () => attempt(status, fetchPage));
  await fetchPage();
  const headers = ["admin.mail.received", "admin.mail.mailbox", "admin.mail.sender", "admin.mail.subject",
    "admin.mail.reason", "admin.attempts", "admin.actions"].map((k) => h("th", { scope: "col" }, t(k)));
  return h("div", {},
    h("p", { class: "muted" }, t("admin.mail.quarantine_hint")),
    h("div", { class: "table-wrap" }, h("table", { class: "admin-table", "aria-label": t("admin.mail.quarantine") },
      h("thead", {}, h("tr", {}, headers)), tbody)),
    empty, more);
}

// ---- create / edit ------------------------------------------------------------------

// The POST / PUT body; an empty password field keeps the stored password.
function mailboxBody(d, fd) {
  const body = {
    name: d.name.trim(), enabled: fd.has("enabled"), host: d.host.trim(), port: Number(d.port),
    security: d.security, allow_plain: fd.has("allow_plain"), login: d.login.trim(),
    folder: d.folder.trim(), processed_folder: d.processed_folder.trim(), quarantine_folder: d.quarantine_folder.trim(),
    unit_id: Number(d.unit_id), assignee_ids: fd.getAll("assignee_ids").map(Number), priority: d.priority,
    subject_id: d.subject_id ? Number(d.subject_id) : null, unknown_senders: d.unknown_senders,
  };
  if (d.password) body.password = d.password;
  return body;
}

// The unit's members as assignee checkboxes (those of the mailbox ticked), reloaded when
// the unit changes.
function assigneesField(unit, chosen) {
  const legend = h("legend", {}, t("admin.mail.assignees"));
  const box = h("fieldset", {}, legend);
  const load = async () => {
    const checks = unit.value ? await memberChecks(unit.value).catch(() => []) : [];
    for (const c of checks) {
      const input = c.querySelector("input");
      input.checked = chosen.includes(Number(input.value));
    }
    box.replaceChildren(legend, ...(checks.length ? checks : [h("p", { class: "muted" }, t("admin.mail.no_assignees"))]));
  };
  unit.addEventListener("change", load);
  return { box, load };
}

const BLANK = {
  name: "", enabled: true, host: "", port: 993, security: "tls", allow_plain: false, login: "", password: "",
  folder: "INBOX", processed_folder: "", quarantine_folder: "Quarantine", assignee_ids: [], priority: "normal",
  subject_id: null, unknown_senders: "refuse",
};

async function mailboxFormView(id) {
  const editing = id != null;
  const [box, units, subjects] = await Promise.all([
    editing ? api("GET", `/mailboxes/${id}`) : Promise.resolve(null),
    api("GET", "/units"), api("GET", "/subjects").catch(() => ({ items: [] })),
  ]);
  const m = box ?? { ...BLANK, unit_id: units.items[0]?.id ?? "" };
  const status = statusLine();
  const security = select("security", SECURITY.map((s) => [s, t(`admin.mail.security.${s}`)]), m.security);
  const port = h("input", { name: "port", type: "number", min: 1, max: 65535, required: true, value: m.port });
  // A port left at a default follows the security choice (993 for TLS, 143 otherwise).
  security.addEventListener("change", () => {
    if (Object.values(DEFAULT_PORTS).includes(Number(port.value))) port.value = DEFAULT_PORTS[security.value];
  });
  const unit = select("unit_id", options(units.items), m.unit_id, { required: true });
  const assignees = assigneesField(unit, m.assignee_ids);
  await assignees.load();
  const text = (name, attrs = {}) => h("input", { name, value: m[name] ?? "", autocomplete: "off", ...attrs });
  const form = apiForm({
    status, path: "/mailboxes", id, method: editing ? "PUT" : "POST", body: mailboxBody,
    done: (saved) => {
      if (editing) { status.ok(t("admin.mail.saved", { name: saved.name })); return; }
      nextFlash = t("admin.mail.created", { name: saved.name });
      location.hash = LIST;
    },
  },
    field(t("admin.mail.name"), text("name", { required: true, maxlength: 100 })),
    h("fieldset", {}, h("legend", {}, t("admin.mail.server")),
      field(t("admin.mail.host"), text("host", { required: true, maxlength: 255, placeholder: "imap.example.com" })),
      field(t("admin.mail.port"), port),
      field(t("admin.mail.security"), security),
      checkbox(t("admin.mail.allow_plain"), { name: "allow_plain", checked: m.allow_plain }),
      field(t("admin.mail.login"), text("login", { required: true, maxlength: 320 })),
      field(t("admin.mail.password"), h("input", {
        name: "password", type: "password", autocomplete: "new-password", maxlength: 1000, required: !editing,
        placeholder: m.password ? "••••••••" : "",
      }), editing ? t("admin.secret_keep") : null)),
    h("fieldset", {}, h("legend", {}, t("admin.mail.folders")),
      field(t("admin.mail.folder"), text("folder", { required: true, maxlength: 200 })),
      field(t("admin.mail.processed_folder"), text("processed_folder", { maxlength: 200 }), t("admin.mail.processed_hint")),
      field(t("admin.mail.quarantine_folder"), text("quarantine_folder", { required: true, maxlength: 200 }))),
    h("fieldset", {}, h("legend", {}, t("admin.mail.new_tickets")),
      field(t("admin.unit"), unit),
      assignees.box,
      field(t("admin.priority"), select("priority", PRIORITIES.map((p) => [p, t(`admin.priority.${p}`)]), m.priority)),
      field(t("admin.mail.subject_id"), select("subject_id", [["", "—"], ...options(subjects.items)], m.subject_id),
        t("admin.mail.subject_hint"))),
    field(t("admin.mail.unknown_senders"),
      select("unknown_senders", POLICIES.map((p) => [p, t(`admin.mail.policy.${p}`)]), m.unknown_senders)),
    checkbox(t("admin.mail.enabled"), { name: "enabled", checked: m.enabled }),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, editing ? t("admin.save") : t("admin.mail.create")),
      editing ? testButton(m, status) : null,
      h("a", { href: LIST }, t("admin.back_to_list"))),
    status);
  adminPage("mailboxes", editing ? t("admin.mail.edit", { name: m.name }) : t("admin.mail.new"), form);
}

addRoute(/^\/admin\/mailboxes$/, () => { const flash = nextFlash; nextFlash = null; return mailboxesView(flash); }, { admin: true });
addRoute(/^\/admin\/mailboxes\/new$/, () => mailboxFormView(null), { admin: true });
addRoute(/^\/admin\/mailboxes\/(\d+)$/, (id) => mailboxFormView(Number(id)), { admin: true });
