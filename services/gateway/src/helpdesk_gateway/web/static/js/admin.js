// The admin area (admins only; the server checks every call again): units and users
// here; SLA, calendars and subjects in admin_sla.js; client groups, positions, custom
// fields and recurring tickets in admin_directory.js; settings and mailings in
// admin_settings.js, failed notifications and parked events (with replay) in
// admin_dead_letters.js, system information in admin_system.js; mail intake's
// mailboxes and quarantine in admin_mailin.js; webhooks and their delivery log in
// admin_webhooks.js; the portal's settings, categories and
// news in admin_portal.js.

import { state, t, h, api, addRoute } from "./core.js";
import { select, options, checkbox, languageSelect, zoneList } from "./agent_common.js";
import {
  adminPage, apiForm, nameForm, field, statusLine, attempt, confirmButton, deleteButton, renameControl, table, ROLES,
} from "./admin_ui.js";
import "./admin_sla.js";
import "./admin_directory.js";
import "./admin_settings.js";
import "./admin_dead_letters.js";
import "./admin_system.js";
import "./admin_mailin.js";
import "./admin_webhooks.js";
import "./admin_portal.js";

// ---- units ------------------------------------------------------------------------

async function unitsView(flash) {
  const units = (await api("GET", "/units")).items;
  const [members, plans, settings] = await Promise.all([
    Promise.all(units.map((u) => api("GET", `/units/${u.id}/members`).then((r) => r.items).catch(() => []))),
    api("GET", "/sla-plans").then((r) => r.items).catch(() => []),
    api("GET", "/settings/tickets").catch(() => null),
  ]);
  const status = statusLine(flash);
  // A unit's default SLA plan (for tickets whose subject names none) lives in the
  // tickets settings; choosing one saves it at once.
  const planControl = (u) => {
    if (!settings) return "—";
    const current = settings.unit_sla_plans?.[String(u.id)] ?? "";
    const sel = select("sla_plan_id", [["", t("admin.no_plan")], ...options(plans)], current, { "aria-label": t("admin.unit_plan_of", { name: u.name }) });
    sel.addEventListener("change", async () => {
      const map = { ...(settings.unit_sla_plans || {}) };
      if (sel.value) map[String(u.id)] = Number(sel.value); else delete map[String(u.id)];
      if (await attempt(status, async () => { Object.assign(settings, await api("PUT", "/settings/tickets", { ...settings, unit_sla_plans: map })); })) status.ok(t("admin.saved"));
    });
    return sel;
  };
  const form = nameForm({
    status, path: "/units", nameLabel: t("admin.unit_name"), maxlength: 200, submitLabel: t("admin.create_unit"),
    done: (created) => unitsView(t("admin.unit_created", { name: created.name })),
  });
  const rows = units.map((u, i) => [
    h("span", { class: "cell-text" }, u.name),
    members[i].length
      ? h("details", {}, h("summary", {}, t("admin.members_count", { n: members[i].length })),
        h("ul", { class: "plain" }, members[i].map((m) => h("li", {}, h("a", { href: `#/admin/users/${m.id}` }, m.full_name), " ", h("span", { class: "muted" }, m.login)))))
      : h("span", { class: "muted" }, t("admin.no_members")),
    planControl(u),
    h("span", { class: "row-actions" },
      renameControl(u, "/units", status, unitsView),
      members[i].length ? null : deleteButton(status, `/units/${u.id}`, u.name, unitsView)),
  ]);
  adminPage("units", t("admin.units"), form, status, table([t("admin.name"), t("admin.members"), t("admin.unit_plan"), t("admin.actions")], rows));
}

// ---- users ------------------------------------------------------------------------

const listState = { q: "", kind: "", unit_id: "", cursor: null, back: [] };

async function usersView() {
  const s = listState;
  const params = new URLSearchParams({ limit: "25" });
  for (const k of ["q", "kind", "unit_id", "cursor"]) if (s[k]) params.set(k, s[k]);
  const [page, units] = await Promise.all([api("GET", `/users?${params}`), api("GET", "/units")]);
  const unitName = new Map(units.items.map((u) => [u.id, u.name]));
  const filters = h("form", {
    class: "filters", role: "search",
    onsubmit: (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(filters));
      Object.assign(s, { q: d.q.trim(), kind: d.kind, unit_id: d.unit_id, cursor: null, back: [] });
      usersView();
    },
  },
    field(t("admin.search"), h("input", { name: "q", type: "search", value: s.q })),
    field(t("admin.kind"), select("kind", [["", t("admin.all")], ["staff", t("admin.kind.staff")], ["client", t("admin.kind.client")]], s.kind)),
    field(t("admin.unit"), select("unit_id", [["", t("admin.all")], ...options(units.items)], s.unit_id)),
    h("button", { type: "submit" }, t("admin.filter")));
  const rows = page.items.map((u) => [
    h("a", { href: `#/admin/users/${u.id}` }, u.login),
    u.full_name,
    t(`admin.kind.${u.kind}`) + (u.is_admin ? ` · ${t("admin.admin_flag")}` : ""),
    u.role ? t(`admin.role.${u.role}`) : "—",
    u.unit_ids.map((id) => unitName.get(id) ?? `#${id}`).join(", ") || "—",
    h("span", { class: u.status === "active" ? "badge ok" : "badge off" }, t(`admin.status.${u.status}`)),
  ]);
  const pager = h("div", { class: "actions" },
    s.back.length ? h("button", { type: "button", class: "secondary", onclick: () => { s.cursor = s.back.pop() ?? null; usersView(); } }, t("admin.previous")) : null,
    page.next_cursor ? h("button", { type: "button", class: "secondary", onclick: () => { s.back.push(s.cursor); s.cursor = page.next_cursor; usersView(); } }, t("admin.next")) : null);
  adminPage("users", t("admin.users"),
    h("p", {}, h("a", { class: "button", href: "#/admin/users/new" }, t("admin.new_user"))),
    filters,
    table([t("admin.login"), t("admin.full_name"), t("admin.kind"), t("admin.role"), t("admin.units"), t("admin.status")], rows, t("admin.no_users")),
    pager);
}

async function userFormView(id) {
  const editing = id != null;
  const [user, units, groups, positions] = await Promise.all([
    editing ? api("GET", `/users/${id}`) : Promise.resolve(null),
    api("GET", "/units"), api("GET", "/client-groups"), api("GET", "/positions"),
  ]);
  const u = user ?? { kind: "staff", role: "unit_member", unit_ids: [], language: state.me.language || "en", is_admin: false, status: "active" };
  const status = statusLine();
  const kind = select("kind", [["staff", t("admin.kind.staff")], ["client", t("admin.kind.client")]], u.kind, { disabled: editing });
  const staffOnly = h("div", { class: "staff-only" },
    field(t("admin.role"), select("role", ROLES.map((r) => [r, t(`admin.role.${r}`)]), u.role || "unit_member")),
    h("fieldset", {}, h("legend", {}, t("admin.units")),
      units.items.length
        ? units.items.map((x) => checkbox(x.name, { name: "unit_ids", value: x.id, checked: u.unit_ids.includes(x.id) }))
        : h("p", { class: "muted" }, t("admin.none_yet"))),
    checkbox(t("admin.is_admin"), { name: "is_admin", checked: u.is_admin }));
  const clientOnly = h("div", { class: "client-only" },
    field(t("admin.client_group"), select("client_group_id", [["", "—"], ...options(groups.items)], u.client_group_id)),
    checkbox(t("admin.is_group_lead"), { name: "is_client_group_lead", checked: u.is_client_group_lead }));
  const sync = () => { const client = kind.value === "client"; staffOnly.hidden = client; clientOnly.hidden = !client; };
  kind.addEventListener("change", sync);
  const form = apiForm({
    status, path: "/users", id,
    body: (d, fd) => userBody(d, fd, editing ? u.kind : kind.value, editing),
    done: (saved) => {
      if (editing) { status.ok(t("admin.user_saved", { login: saved.login })); return; }
      Object.assign(listState, { q: saved.login, kind: "", unit_id: "", cursor: null, back: [] });
      // The list page shows what was done (the router puts the notice on top).
      sessionStorage.setItem("hd.notice", t("admin.user_created", { login: saved.login }));
      location.hash = "#/admin/users";
    },
  },
    field(t("admin.kind"), kind),
    userFields(u, editing),
    staffOnly, clientOnly,
    field(t("admin.position"), select("position_id", [["", "—"], ...options(positions.items)], u.position_id)),
    field(t("admin.language"), languageSelect(u.language)),
    field(t("admin.time_zone"), h("input", { name: "time_zone", list: "zones", value: u.time_zone ?? "", placeholder: "Europe/Moscow" })),
    zoneList("zones"),
    editing ? field(t("admin.status"), select("status", [["active", t("admin.status.active")], ["disabled", t("admin.status.disabled")]], u.status)) : null,
    h("div", { class: "actions" },
      h("button", { type: "submit" }, editing ? t("admin.save") : t("admin.create_user")),
      h("a", { href: "#/admin/users" }, t("admin.back_to_list"))),
    status);
  sync();
  const disable = editing && u.status === "active" && u.id !== state.me.id
    ? h("div", { class: "danger-zone" }, confirmButton(t("admin.disable"), t("admin.confirm_disable", { name: u.login }), async () => {
      if (await attempt(status, () => api("DELETE", `/users/${id}`))) await userFormView(id);
    }, t("admin.yes_disable")))
    : null;
  adminPage("users", editing ? t("admin.edit_user", { login: u.login }) : t("admin.new_user"), form, disable);
}

// Login, password, name and contacts (LDAP only when creating).
function userFields(u, editing) {
  return [
    field(t("admin.login"), h("input", { name: "login", required: true, minlength: 2, maxlength: 64, autocomplete: "off", value: u.login ?? "" })),
    field(t("admin.password"), h("input", { name: "password", type: "password", minlength: 8, autocomplete: "new-password" }),
      editing ? t("admin.password_keep") : t("admin.password_hint")),
    field(t("admin.full_name"), h("input", { name: "full_name", required: true, maxlength: 200, value: u.full_name ?? "" })),
    field(t("admin.email"), h("input", { name: "email", type: "email", maxlength: 254, value: u.email ?? "" })),
    field(t("admin.phone"), h("input", { name: "phone", type: "tel", maxlength: 50, value: u.phone ?? "" })),
    editing ? null : checkbox(t("admin.ldap_user"), { name: "ldap" }),
  ];
}

// The POST / PATCH body: the kind's own fields only; an empty password keeps the old one.
function userBody(d, fd, kind, editing) {
  const body = {
    login: d.login.trim(), full_name: d.full_name.trim(), email: d.email.trim(), phone: d.phone.trim(),
    language: d.language, time_zone: d.time_zone.trim(),
    position_id: d.position_id ? Number(d.position_id) : null,
  };
  if (d.password) body.password = d.password;
  if (kind === "client") {
    body.client_group_id = d.client_group_id ? Number(d.client_group_id) : null;
    body.is_client_group_lead = fd.has("is_client_group_lead");
  } else {
    body.role = d.role;
    body.unit_ids = fd.getAll("unit_ids").map(Number);
    body.is_admin = fd.has("is_admin");
  }
  if (editing) body.status = d.status;
  else Object.assign(body, { kind, ldap: fd.has("ldap") });
  return body;
}

addRoute(/^\/admin$/, () => unitsView(), { admin: true });
addRoute(/^\/admin\/units$/, () => unitsView(), { admin: true });
addRoute(/^\/admin\/users$/, usersView, { admin: true });
addRoute(/^\/admin\/users\/new$/, () => userFormView(null), { admin: true });
addRoute(/^\/admin\/users\/(\d+)$/, (id) => userFormView(Number(id)), { admin: true });
