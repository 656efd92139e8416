// The portal's news (everyone reads; admins write them in the admin area) and its
// knowledge base: the category tree, search, articles with "was this helpful", and
// the article form for staff.

import { state, t, h, api, addRoute, problemText, safeHtml, when } from "./core.js";
import { labelled, select, options, units, checkbox } from "./agent_common.js";
import { portalPage, authorLine, fileList, uploadAll, staffUser, loadPortal, loadingError } from "./portal_common.js";

async function needPortal() {
  if (!state.portal) await loadPortal();
  if (!state.portal) throw Object.assign(new Error("off"), { status: 404 });
}

// ---- news ---------------------------------------------------------------------------

async function newsView() {
  await needPortal();
  const list = h("ol", { class: "news-list", id: "news-list" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("list.more"));
  const error = h("p", { class: "error", role: "alert" });
  let cursor = null;
  const load = async () => {
    const page = await api("GET", `/portal/news?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    list.append(...page.items.map((n) => h("li", { class: "news-item" },
      h("h2", {}, n.title), h("p", { class: "muted" }, h("time", { datetime: n.published_at }, when(n.published_at))),
      safeHtml(n.html, "div", { class: "comment-body" }), fileList(n.attachments, error))));
    if (!list.children.length) list.append(h("li", { class: "muted" }, t("portal.no_news")));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => load().catch((err) => { error.textContent = problemText(err); }));
  portalPage("news", h("h1", {}, t("portal.news")), error, list, more);
  await load();
}

// ---- knowledge base -----------------------------------------------------------------

// The categories as nested lists, each a link to its articles.
function tree(categories, current) {
  const children = (parent) => categories.filter((c) => (c.parent_id ?? null) === parent);
  const branch = (parent) => {
    const items = children(parent);
    if (!items.length) return null;
    return h("ul", { class: "tree" }, items.map((c) => h("li", {},
      h("a", { href: `#/portal/kb?category=${c.id}`, "aria-current": String(c.id) === String(current) ? "page" : false }, c.name),
      c.article_count ? h("span", { class: "muted" }, ` (${c.article_count})`) : null,
      branch(c.id))));
  };
  return h("nav", { class: "kb-tree", "aria-label": t("portal.categories") }, h("h2", {}, t("portal.categories")),
    branch(null) || h("p", { class: "muted" }, t("portal.no_categories")));
}

async function kbView(query) {
  await needPortal();
  const params = new URLSearchParams(query || "");
  const category = params.get("category") || "";
  const q = params.get("q") || "";
  const [cats, page] = await Promise.all([
    api("GET", "/portal/kb/categories"),
    api("GET", `/portal/kb/articles?${new URLSearchParams({ ...(category ? { category_id: category } : {}), ...(q ? { q } : {}), limit: "100" })}`),
  ]);
  const search = h("form", {
    class: "filters", role: "search",
    onsubmit: (e) => { e.preventDefault(); const v = new FormData(search).get("q"); location.hash = `#/portal/kb${v ? `?q=${encodeURIComponent(v)}` : ""}`; },
  }, h("label", { class: "grow" }, t("portal.search_kb"), h("input", { name: "q", type: "search", value: q })),
  h("div", { class: "filter-buttons" }, h("button", { type: "submit" }, t("portal.find"))));
  const name = cats.items.find((c) => String(c.id) === category)?.name;
  const heading = q ? t("portal.results_for", { q }) : name || t("portal.all_articles");
  const articles = h("ul", { class: "article-list", id: "article-list" }, page.items.length
    ? page.items.map((a) => h("li", {}, h("a", { href: `#/portal/kb/${a.id}` }, a.title),
      a.visibility !== "public" ? h("span", { class: "muted" }, ` · ${t(`portal.visibility.${a.visibility}`)}`) : null))
    : h("li", { class: "muted" }, t("portal.no_articles")));
  portalPage("kb", h("h1", {}, t("portal.kb")), search,
    staffUser() ? h("p", {}, h("a", { class: "button", href: "#/portal/kb/new" }, t("portal.new_article"))) : null,
    h("div", { class: "kb" }, tree(cats.items, category), h("section", { class: "kb-articles", "aria-labelledby": "kb-heading" }, h("h2", { id: "kb-heading" }, heading), articles)));
}

function helpfulBox(article, redraw) {
  const status = h("p", { class: "status", role: "status" });
  const vote = async (helpful) => {
    try { redraw(await api("POST", `/portal/kb/articles/${article.id}/helpful`, { helpful })); }
    catch (err) { status.textContent = problemText(err); }
  };
  const button = (helpful, label) => h("button", {
    type: "button", class: article.my_vote === helpful ? "" : "secondary", "aria-pressed": String(article.my_vote === helpful), onclick: () => vote(helpful),
  }, label);
  return h("section", { class: "helpful", "aria-labelledby": "helpful-title" },
    h("h2", { id: "helpful-title" }, t("portal.was_helpful")),
    h("div", { class: "actions" }, button(true, t("portal.yes")), button(false, t("portal.no"))),
    h("p", { class: "muted", id: "helpful-counts" }, t("portal.helpful_counts", { yes: article.helpful_yes, no: article.helpful_no })), status);
}

async function articleView(id) {
  await needPortal();
  let article;
  try { article = await api("GET", `/portal/kb/articles/${id}`); } catch (err) { portalPage("kb", h("h1", {}, t("portal.kb")), loadingError(err)); return; }
  const error = h("p", { class: "error", role: "alert" });
  const holder = h("article", { id: "article" });
  const redraw = (a) => {
    article = a;
    holder.replaceChildren(...[h("h1", {}, a.title), h("p", { class: "muted" }, authorLine(a.author, a.updated_at)),
      safeHtml(a.html, "div", { class: "comment-body post-body" }), fileList(a.attachments, error),
      a.allowed_actions.includes("edit") ? h("p", {}, h("a", { href: `#/portal/kb/${a.id}/edit`, class: "button secondary" }, t("portal.edit"))) : null,
      helpfulBox(a, redraw)].filter(Boolean));
  };
  redraw(article);
  portalPage("kb", h("p", {}, h("a", { href: `#/portal/kb?category=${article.category_id}` }, t("portal.back_kb"))), holder, error);
}

// The article form (new, or an article to change); staff only.
async function articleForm(id) {
  await needPortal();
  const [cats, unitList, current] = await Promise.all([
    api("GET", "/portal/kb/categories"), units(true), id ? api("GET", `/portal/kb/articles/${id}`) : null,
  ]);
  const a = current || { title: "", body: "", visibility: "public", unit_ids: [], category_id: cats.items[0]?.id };
  const files = h("input", { type: "file", name: "files", multiple: true });
  const error = h("p", { class: "error", role: "alert" });
  const body = h("textarea", { name: "body", required: true, maxlength: 100000 });
  body.value = a.body;
  const unitBoxes = h("fieldset", {}, h("legend", {}, t("portal.units")),
    unitList.map((u) => checkbox(u.name, { name: "unit_ids", value: u.id, checked: a.unit_ids.includes(u.id) })));
  const form = h("form", {
    class: "new-post",
    onsubmit: async (e) => {
      e.preventDefault();
      const fd = new FormData(form);
      const data = {
        category_id: Number(fd.get("category_id")), title: fd.get("title"), body: body.value, visibility: fd.get("visibility"),
        unit_ids: fd.get("visibility") === "staff" ? fd.getAll("unit_ids").map(Number) : [],
      };
      try {
        const saved = id ? await api("PATCH", `/portal/kb/articles/${id}`, data)
          : await api("POST", "/portal/kb/articles", { ...data, attachment_ids: await uploadAll(files) });
        location.hash = `#/portal/kb/${saved.id}`;
      } catch (err) { error.textContent = problemText(err); }
    },
  },
    labelled(t("portal.category"), select("category_id", options(cats.items), a.category_id, { required: true })),
    labelled(t("portal.title"), h("input", { name: "title", required: true, maxlength: 200, value: a.title })),
    labelled(t("portal.body"), body),
    labelled(t("portal.visibility"), select("visibility", ["public", "clients", "staff"].map((v) => [v, t(`portal.visibility.${v}`)]), a.visibility)),
    unitBoxes, id ? null : labelled(t("comment.files"), files),
    h("div", { class: "actions" }, h("button", { type: "submit" }, t("admin.save")),
      id ? h("button", { type: "button", class: "danger", onclick: async () => {
        try { await api("DELETE", `/portal/kb/articles/${id}`); location.hash = "#/portal/kb"; } catch (err) { error.textContent = problemText(err); }
      } }, t("portal.delete")) : null),
    error);
  portalPage("kb", h("h1", {}, id ? t("portal.edit_article") : t("portal.new_article")), cats.items.length ? form : h("p", { class: "muted" }, t("portal.no_categories")));
}

async function guarded(view, ...args) {
  try { await view(...args); } catch (err) { portalPage(null, h("h1", {}, t("portal.kb")), loadingError(err)); }
}

addRoute(/^\/portal\/news$/, () => guarded(newsView), { public: true });
addRoute(/^\/portal\/kb(?:\?(.*))?$/, (q) => guarded(kbView, q), { public: true });
addRoute(/^\/portal\/kb\/new$/, () => guarded(articleForm, null), { staff: true });
addRoute(/^\/portal\/kb\/(\d+)$/, (id) => guarded(articleView, id), { public: true });
addRoute(/^\/portal\/kb\/(\d+)\/edit$/, (id) => guarded(articleForm, id), { staff: true });
