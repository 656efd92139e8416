// Admin settings (tickets, outgoing mail, Pushbullet, LDAP with test and sync) and the
// mass mailing with its progress bar. Dead letters: admin_dead_letters.js.
// Secrets come back masked: an empty secret field keeps the stored secret.

import { t, h, api, addRoute, onLeave } from "./core.js";
import { select, checkbox } from "./agent_common.js";
import { adminPage, apiForm, savedSettings, field, statusLine, attempt, ROLES } from "./admin_ui.js";

const MB = 1024 * 1024;

function section(title, body) {
  return h("section", { class: "settings-section", "aria-label": title }, h("h2", {}, title), body);
}
async function load(path) {
  try { return { data: await api("GET", path) }; } catch (err) { return { err }; }
}
function failed(err) {
  const s = statusLine();
  s.fail(err);
  return s;
}

function ticketsForm(v) {
  const status = statusLine();
  const types = Object.assign(h("textarea", { name: "allowed_types", rows: 4 }), { value: (v.allowed_types || []).join("\n") });
  const body = (d, fd) => ({
    days_to_archive: Number(d.days_to_archive),
    max_file_bytes: Math.round(Number(d.max_file_mb) * MB),
    allowed_types: types.value.split("\n").map((s) => s.trim()).filter(Boolean),
    free_text_subjects: fd.has("free_text_subjects"),
    internal_by_default: fd.getAll("internal_by_default"),
    client_reopen: fd.has("client_reopen"),
    client_reopen_days: Number(d.client_reopen_days),
    unit_sla_plans: v.unit_sla_plans || {},
  });
  return apiForm({ status, method: "PUT", path: "/settings/tickets", body, done: savedSettings(status) },
    field(t("admin.days_to_archive"), h("input", { name: "days_to_archive", type: "number", min: 1, max: 3650, required: true, value: v.days_to_archive })),
    field(t("admin.max_file_mb"), h("input", { name: "max_file_mb", type: "number", min: 0.01, step: 0.01, required: true, value: (v.max_file_bytes / MB).toFixed(2).replace(/\.00$/, "") })),
    field(t("admin.allowed_types"), types, t("admin.one_per_line")),
    checkbox(t("admin.free_text_subjects"), { name: "free_text_subjects", checked: v.free_text_subjects }),
    h("fieldset", {}, h("legend", {}, t("admin.internal_by_default")),
      ROLES.map((r) => checkbox(t(`admin.role.${r}`), { name: "internal_by_default", value: r, checked: (v.internal_by_default || []).includes(r) }))),
    checkbox(t("admin.client_reopen"), { name: "client_reopen", checked: v.client_reopen ?? true }),
    field(t("admin.client_reopen_days"), h("input", { name: "client_reopen_days", type: "number", min: 0, max: 3650, required: true, value: v.client_reopen_days ?? 7 })),
    h("button", { type: "submit" }, t("admin.save")), status);
}

function secretInput(name, stored) {
  return field(t(`admin.${name}`), h("input", { name, type: "password", autocomplete: "new-password", placeholder: stored ? "••••••••" : "" }),
    stored ? t("admin.secret_keep") : null);
}

function mailForm(v) {
  const status = statusLine();
  const body = (d, fd) => ({
    enabled: fd.has("enabled"), host: d.host.trim(), port: Number(d.port), security: d.security,
    username: d.username.trim(), from_address: d.from_address.trim(), from_name: d.from_name.trim(),
    ...(d.password ? { password: d.password } : {}),
  });
  return apiForm({ status, method: "PUT", path: "/settings/mail", body, done: savedSettings(status) },
    checkbox(t("admin.mail_enabled"), { name: "enabled", checked: v.enabled }),
    field(t("admin.smtp_host"), h("input", { name: "host", value: v.host })),
    field(t("admin.smtp_port"), h("input", { name: "port", type: "number", min: 1, max: 65535, value: v.port })),
    field(t("admin.smtp_security"), select("security", [["none", t("admin.security.none")], ["starttls", "STARTTLS"], ["tls", "TLS"]], v.security)),
    field(t("admin.username"), h("input", { name: "username", autocomplete: "off", value: v.username })),
    secretInput("password", v.password),
    field(t("admin.from_address"), h("input", { name: "from_address", type: "email", value: v.from_address })),
    field(t("admin.from_name"), h("input", { name: "from_name", value: v.from_name })),
    h("button", { type: "submit" }, t("admin.save")), status);
}

function pushbulletForm(v) {
  const status = statusLine();
  const body = (d, fd) => ({
    enabled: fd.has("enabled"), base_url: String(d.base_url).trim(),
    ...(d.access_token ? { access_token: d.access_token } : {}),
  });
  return apiForm({ status, method: "PUT", path: "/settings/pushbullet", body, done: savedSettings(status) },
    checkbox(t("admin.pushbullet_enabled"), { name: "enabled", checked: v.enabled }),
    secretInput("access_token", v.access_token),
    field(t("admin.base_url"), h("input", { name: "base_url", type: "url", value: v.base_url })),
    h("button", { type: "submit" }, t("admin.save")), status);
}

const LDAP_TEXT = ["url", "base_dn", "bind_dn", "user_filter", "bind_template", "attr_login", "attr_full_name", "attr_email", "attr_phone"];

function ldapForm(v) {
  const status = statusLine();
  const ca = Object.assign(h("textarea", { name: "ca_pem", rows: 3, placeholder: "-----BEGIN CERTIFICATE-----" }), { value: v.ca_pem || "" });
  const groups = Object.assign(h("textarea", { name: "groups", rows: 3, placeholder: "cn=helpdesk-heads,ou=groups,dc=example,dc=org | 1 | unit_head" }),
    { value: (v.groups || []).map((g) => `${g.group_dn} | ${g.unit_id ?? ""} | ${g.role}`).join("\n") });
  const body = (d, fd) => {
    const sent = { ...v, enabled: fd.has("enabled"), start_tls: fd.has("start_tls"), ca_pem: ca.value, default_role: d.default_role };
    for (const k of LDAP_TEXT) sent[k] = String(d[k] ?? "").trim();
    sent.bind_password = d.bind_password || v.bind_password; // the mask keeps the stored one
    sent.groups = parseGroups(groups.value);
    return sent;
  };
  // The next save starts from what the server answered (its masked secret included).
  const done = (saved) => { v = saved; status.ok(t("admin.settings_saved")); };
  return apiForm({ status, method: "PUT", path: "/settings/ldap", body, done },
    checkbox(t("admin.ldap_enabled"), { name: "enabled", checked: v.enabled }),
    LDAP_TEXT.map((k) => field(t(`admin.ldap.${k}`), h("input", { name: k, value: v[k] ?? "", autocomplete: "off" }))),
    checkbox(t("admin.ldap.start_tls"), { name: "start_tls", checked: v.start_tls }),
    secretInput("bind_password", v.bind_password),
    field(t("admin.ldap.ca_pem"), ca),
    field(t("admin.ldap.default_role"), select("default_role", ROLES.map((r) => [r, t(`admin.role.${r}`)]), v.default_role)),
    field(t("admin.ldap.groups"), groups, t("admin.ldap.groups_hint")),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, t("admin.save")),
      ldapButton(status, t("admin.ldap_test"), "/ldap/test", (r) => {
        if (r.ok) status.ok(t("admin.ldap_test_ok", { n: r.users_found, detail: r.detail }));
        else status.fail(t("admin.ldap_test_failed", { detail: r.detail }));
      }),
      ldapButton(status, t("admin.ldap_sync"), "/ldap/sync", (r) => status.ok(t("admin.ldap_synced", r)))),
    status);
}

// "group DN | unit id | role" a line → the group mappings.
function parseGroups(text) {
  return text.split("\n").map((s) => s.trim()).filter(Boolean).map((line) => {
    const [dn, unit, role] = line.split("|").map((x) => x.trim());
    return { group_dn: dn, unit_id: unit ? Number(unit) : null, role: role || "unit_member" };
  });
}

// Test or sync with the saved settings: "working…" first, then report(answer).
function ldapButton(status, label, path, report) {
  return h("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      status.ok(t("admin.working"));
      let r;
      if (await attempt(status, async () => { r = await api("POST", path); })) report(r);
    },
  }, label);
}

async function settingsView() {
  const [tickets, mail, pushbullet, ldap] = await Promise.all(
    ["/settings/tickets", "/settings/mail", "/settings/pushbullet", "/settings/ldap"].map(load));
  const part = (r, build) => (r.err ? failed(r.err) : build(r.data));
  adminPage("settings", t("admin.settings"),
    h("nav", { class: "toc", "aria-label": t("admin.settings") }, h("ul", { class: "plain inline" },
      ["tickets", "mail", "pushbullet", "ldap"].map((k) => h("li", {}, h("a", { href: `#/admin/settings`, onclick: (e) => { e.preventDefault(); document.getElementById(`settings-${k}`)?.scrollIntoView(); } }, t(`admin.settings.${k}`)))))),
    h("div", { id: "settings-tickets" }, section(t("admin.settings.tickets"), part(tickets, ticketsForm))),
    h("div", { id: "settings-mail" }, section(t("admin.settings.mail"), part(mail, mailForm))),
    h("div", { id: "settings-pushbullet" }, section(t("admin.settings.pushbullet"), part(pushbullet, pushbulletForm))),
    h("div", { id: "settings-ldap" }, section(t("admin.settings.ldap"), part(ldap, ldapForm))),
    h("p", { class: "muted" }, t("admin.settings_missing")));
}

// ---- mass mailing -------------------------------------------------------------------

async function mailingView() {
  const [units, groups] = await Promise.all([api("GET", "/units"), api("GET", "/client-groups")]);
  const status = statusLine();
  const progress = mailingProgress();
  const boxes = (name, items) => items.map((x) => checkbox(x.name, { name, value: x.id }));
  const form = apiForm({
    status, path: "/mailings", body: (d, fd) => mailingBody(d, fd, status),
    done: (m) => { status.ok(t("admin.mailing_started")); progress.follow(m, status); },
  },
    field(t("admin.mail_subject"), h("input", { name: "subject", required: true, maxlength: 250 })),
    field(t("admin.mail_body"), h("textarea", { name: "body", required: true, rows: 6 })),
    h("fieldset", {}, h("legend", {}, t("admin.to_roles")), boxes("roles", ROLES.map((r) => ({ id: r, name: t(`admin.role.${r}`) })))),
    units.items.length ? h("fieldset", {}, h("legend", {}, t("admin.to_units")), boxes("unit_ids", units.items)) : null,
    groups.items.length ? h("fieldset", {}, h("legend", {}, t("admin.to_groups")), boxes("client_group_ids", groups.items)) : null,
    field(t("admin.to_user_ids"), h("input", { name: "user_ids", inputmode: "numeric", placeholder: "12, 34" })),
    h("button", { type: "submit" }, t("admin.send_mailing")), status);
  adminPage("mailing", t("admin.mailing"), h("p", { class: "muted" }, t("admin.mailing_hint")), form, progress.node);
}

// Nobody chosen is refused here (null: nothing is sent).
function mailingBody(d, fd, status) {
  const body = {
    subject: String(d.subject).trim(), body: String(d.body),
    roles: fd.getAll("roles"), unit_ids: fd.getAll("unit_ids").map(Number), client_group_ids: fd.getAll("client_group_ids").map(Number),
    user_ids: String(d.user_ids).split(",").map((s) => Number(s.trim())).filter((n) => n > 0),
  };
  if (body.roles.length || body.unit_ids.length || body.client_group_ids.length || body.user_ids.length) return body;
  status.fail(t("admin.mailing_no_recipients"));
  return null;
}

// { node, follow(mailing, status) }: a progress bar read every second until the mailing is done.
function mailingProgress() {
  const node = h("div", { class: "mailing-progress", hidden: true });
  let timer = null;
  onLeave(() => clearInterval(timer));
  const draw = (m) => {
    const done = m.sent + m.failed;
    node.hidden = false;
    node.replaceChildren(
      h("label", {}, t("admin.mailing_progress", { subject: m.subject }),
        h("progress", { max: Math.max(m.total, 1), value: m.total ? done : 1 })),
      h("p", { role: "status" }, t("admin.mailing_counts", { sent: m.sent, failed: m.failed, total: m.total, state: t(`admin.mailing_state.${m.state}`) })));
    if (m.state === "done") { clearInterval(timer); timer = null; }
  };
  const follow = (m, status) => {
    draw(m);
    clearInterval(timer);
    timer = setInterval(async () => {
      try { draw(await api("GET", `/mailings/${m.id}`)); } catch (err) { clearInterval(timer); status.fail(err); }
    }, 1000);
  };
  return { node, follow };
}

addRoute(/^\/admin\/settings$/, settingsView, { admin: true });
addRoute(/^\/admin\/mailing$/, mailingView, { admin: true });
