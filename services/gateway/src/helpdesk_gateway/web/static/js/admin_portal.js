// The portal in the admin area: its settings (on or off, title, who hears of new
// posts, limits), the knowledge base's categories and the news. Categories and news
// answer only while the portal is on.

import { t, h, api, addRoute } from "./core.js";
import { select, checkbox, options } from "./agent_common.js";
import { adminPage, apiForm, field, statusLine, table, renameControl, deleteButton, inlineEdit } from "./admin_ui.js";
import { loadPortal } from "./portal_common.js";

const MB = 1024 * 1024;

async function staffChoices() {
  const found = [];
  let cursor = null;
  do {
    const page = await api("GET", `/users?kind=staff&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    found.push(...page.items.filter((u) => u.status === "active"));
    cursor = page.next_cursor;
  } while (cursor && found.length < 1000);
  return found;
}

async function settingsView() {
  const [v, staff] = await Promise.all([api("GET", "/settings/portal"), staffChoices()]);
  const status = statusLine();
  const types = Object.assign(h("textarea", { name: "allowed_types", rows: 4 }), { value: v.allowed_types.join("\n") });
  const intro = Object.assign(h("textarea", { name: "intro", rows: 3, maxlength: 5000 }), { value: v.intro });
  const body = (d, fd) => ({
    enabled: fd.has("enabled"),
    title: d.title.trim(),
    intro: intro.value.trim(),
    notify_user_ids: fd.getAll("notify_user_ids").map(Number),
    posts_per_hour: Number(d.posts_per_hour),
    comments_per_hour: Number(d.comments_per_hour),
    max_file_bytes: Math.round(Number(d.max_file_mb) * MB),
    allowed_types: types.value.split("\n").map((s) => s.trim()).filter(Boolean),
  });
  const form = apiForm({
    status, method: "PUT", path: "/settings/portal", body,
    done: async () => { await loadPortal(); status.ok(t("admin.settings_saved")); },
  },
    checkbox(t("portal.admin.enabled"), { name: "enabled", checked: v.enabled }),
    field(t("portal.admin.title"), h("input", { name: "title", maxlength: 200, value: v.title })),
    field(t("portal.admin.intro"), intro),
    field(t("portal.admin.notify"), select("notify_user_ids", staff.map((u) => [u.id, `${u.full_name} (${u.login})`]), v.notify_user_ids, { multiple: true }),
      t("portal.admin.notify_hint")),
    field(t("portal.admin.posts_per_hour"), h("input", { name: "posts_per_hour", type: "number", min: 0, max: 10000, required: true, value: v.posts_per_hour }), t("portal.admin.zero_no_limit")),
    field(t("portal.admin.comments_per_hour"), h("input", { name: "comments_per_hour", type: "number", min: 0, max: 10000, required: true, value: v.comments_per_hour })),
    field(t("admin.max_file_mb"), h("input", { name: "max_file_mb", type: "number", min: 0.01, max: 10, step: 0.01, required: true, value: (v.max_file_bytes / MB).toFixed(2).replace(/\.00$/, "") })),
    field(t("admin.allowed_types"), types, t("admin.one_per_line")),
    h("button", { type: "submit" }, t("admin.save")), status);
  adminPage("portal", t("portal.admin.settings"),
    h("p", {}, h("a", { href: "#/admin/portal/categories" }, t("portal.admin.categories")), " · ", h("a", { href: "#/admin/portal/news" }, t("portal.admin.news"))),
    form);
}

function off(err) {
  return err.status === 404 ? h("p", { class: "muted" }, t("portal.admin.off")) : h("p", { class: "error" }, err.message);
}

async function categoriesView(flash) {
  let cats;
  try { cats = (await api("GET", "/portal/kb/categories")).items; } catch (err) { adminPage("portal", t("portal.admin.categories"), off(err)); return; }
  const status = statusLine(flash);
  const byId = new Map(cats.map((c) => [c.id, c]));
  const path = (c) => (c.parent_id ? `${path(byId.get(c.parent_id))} / ` : "") + c.name;
  const form = apiForm({
    status, path: "/portal/kb/categories", class: "inline-form",
    body: (d) => ({ name: d.name.trim(), parent_id: d.parent_id ? Number(d.parent_id) : null, position: Number(d.position) || 0 }),
    done: (c) => categoriesView(t("admin.saved") + `: ${c.name}`),
  },
    field(t("admin.name"), h("input", { name: "name", required: true, maxlength: 100 })),
    field(t("portal.admin.parent"), select("parent_id", [["", t("portal.admin.top_level")], ...cats.map((c) => [c.id, path(c)])], "")),
    field(t("portal.admin.position"), h("input", { name: "position", type: "number", value: 0 })),
    h("button", { type: "submit" }, t("portal.admin.add_category")));
  const rows = [...cats].sort((a, b) => path(a).localeCompare(path(b))).map((c) => [
    path(c), String(c.position), String(c.article_count),
    h("span", { class: "row-actions" },
      renameControl(c, "/portal/kb/categories", status, categoriesView),
      inlineEdit({
        status, path: "/portal/kb/categories", id: c.id, openLabel: t("portal.admin.move"),
        fields: () => [
          field(t("portal.admin.parent"), select("parent_id", [["0", t("portal.admin.top_level")], ...options(cats.filter((x) => x.id !== c.id))], c.parent_id ?? "0")),
          field(t("portal.admin.position"), h("input", { name: "position", type: "number", value: c.position })),
        ],
        body: (d) => ({ parent_id: Number(d.parent_id), position: Number(d.position) || 0 }),
        done: () => categoriesView(t("admin.saved")),
      }),
      deleteButton(status, `/portal/kb/categories/${c.id}`, c.name, categoriesView)),
  ]);
  adminPage("portal", t("portal.admin.categories"), form, status,
    table([t("admin.name"), t("portal.admin.position"), t("portal.admin.articles"), t("admin.actions")], rows));
}

async function newsAdminView(flash) {
  let page;
  try { page = await api("GET", "/portal/news?limit=100"); } catch (err) { adminPage("portal", t("portal.admin.news"), off(err)); return; }
  const status = statusLine(flash);
  const text = h("textarea", { name: "body", required: true, maxlength: 50000, rows: 6 });
  const form = apiForm({
    status, path: "/portal/news", body: (d) => ({ title: d.title.trim(), body: text.value }),
    done: (n) => newsAdminView(t("portal.admin.published", { title: n.title })),
  },
    field(t("portal.title"), h("input", { name: "title", required: true, maxlength: 200 })),
    field(t("portal.body"), text, t("comment.hint")),
    h("button", { type: "submit" }, t("portal.publish")));
  const rows = page.items.map((n) => [
    n.title, n.published_at ? new Date(n.published_at).toLocaleDateString(document.documentElement.lang) : "",
    h("span", { class: "row-actions" },
      inlineEdit({
        status, path: "/portal/news", id: n.id, openLabel: t("portal.edit"),
        fields: () => field(t("portal.title"), h("input", { name: "title", value: n.title, required: true, maxlength: 200 })),
        body: (d) => ({ title: d.title.trim() }),
        done: () => newsAdminView(t("admin.saved")),
      }),
      deleteButton(status, `/portal/news/${n.id}`, n.title, newsAdminView)),
  ]);
  adminPage("portal", t("portal.admin.news"), form, status, table([t("portal.title"), t("portal.admin.published_at"), t("admin.actions")], rows));
}

addRoute(/^\/admin\/portal$/, settingsView, { admin: true });
addRoute(/^\/admin\/portal\/categories$/, () => categoriesView(), { admin: true });
addRoute(/^\/admin\/portal\/news$/, () => newsAdminView(), { admin: true });
