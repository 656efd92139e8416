// The public portal: the list of posts (filters by kind and status, sorting, search,
// paging) and the new post form. The post page is portal_post.js; news and the
// knowledge base portal_kb.js. These pages answer signed-out visitors too.

import { state, t, h, api, addRoute, problemText } from "./core.js";
import { labelled, select } from "./agent_common.js";
import { portalPage, kindBadge, statusBadge, authorLine, uploadAll, signInHint, signedIn, loadPortal, loadingError } from "./portal_common.js";
import "./portal_post.js";
import "./portal_kb.js";

export { loadPortal };

const KINDS = ["idea", "problem", "question", "thanks"];
const SORTS = ["new", "popular", "status"];

function filterForm(params) {
  const kind = params.get("kind") || "";
  const statuses = kind ? state.portal.kinds[kind] : [...new Set(Object.values(state.portal.kinds).flat())];
  const form = h("form", {
    class: "filters", role: "search",
    onsubmit: (e) => {
      e.preventDefault();
      const p = new URLSearchParams();
      for (const [k, v] of new FormData(form)) if (v) p.set(k, v);
      location.hash = `#/portal?${p}`;
    },
  },
    h("label", { class: "grow" }, t("portal.search"), h("input", { name: "q", type: "search", value: params.get("q") || "" })),
    labelled(t("portal.kind"), select("kind", [["", t("filter.any")], ...KINDS.map((k) => [k, t(`portal.kind.${k}`)])], kind)),
    labelled(t("portal.status"), select("status", [["", t("filter.any")], ...statuses.map((s) => [s, t(`portal.status.${s}`)])], params.get("status"))),
    labelled(t("portal.sort"), select("sort", SORTS.map((s) => [s, t(`portal.sort.${s}`)]), params.get("sort") || "new")),
    h("div", { class: "filter-buttons" },
      h("button", { type: "submit" }, t("filter.apply")),
      h("a", { href: "#/portal", class: "button secondary" }, t("filter.reset"))));
  // A kind narrows the statuses: choosing one redraws the filters.
  form.querySelector("[name=kind]").addEventListener("change", () => form.requestSubmit());
  return form;
}

function postCard(p) {
  return h("li", { class: "post-card", "data-post": p.id },
    h("div", { class: "post-votes", "aria-label": t("portal.votes", { likes: p.likes, dislikes: p.dislikes }) },
      h("span", { class: "score" }, String(p.likes - p.dislikes))),
    h("div", { class: "post-main" },
      h("p", { class: "post-tags" }, kindBadge(p.kind), " ", statusBadge(p.status), p.answer ? [" ", h("span", { class: "answered" }, t("portal.has_answer"))] : null,
        p.is_hidden ? [" ", h("span", { class: "hidden-tag" }, t("portal.hidden"))] : null),
      h("h2", {}, h("a", { href: `#/portal/posts/${p.id}` }, p.title)),
      h("p", { class: "muted" }, authorLine(p.author, p.created_at), " · ", t("portal.comments_n", { n: p.comment_count }))));
}

async function listView(query) {
  if (!state.portal) await loadPortal();
  if (!state.portal) throw Object.assign(new Error("off"), { status: 404 });
  const params = new URLSearchParams(query || "");
  const list = h("ol", { class: "post-list", id: "post-list" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("list.more"));
  const error = h("p", { class: "error", role: "alert" });
  let cursor = null;
  const load = async () => {
    const p = new URLSearchParams(params);
    p.set("limit", "20");
    if (cursor) p.set("cursor", cursor);
    try {
      const page = await api("GET", `/portal/posts?${p}`);
      list.append(...page.items.map(postCard));
      if (!list.children.length) list.append(h("li", { class: "muted" }, t("portal.no_posts")));
      cursor = page.next_cursor;
      more.hidden = !cursor;
    } catch (err) { error.textContent = problemText(err); }
  };
  more.addEventListener("click", load);
  portalPage("posts",
    h("h1", {}, t("portal.posts")),
    state.portal.intro ? h("p", { class: "intro" }, state.portal.intro) : null,
    signedIn() ? h("p", {}, h("a", { class: "button", href: "#/portal/new" }, t("portal.new_post"))) : signInHint("portal.to_post"),
    filterForm(params), error, list, more);
  await load();
}

function newPostView() {
  if (!signedIn()) { portalPage("posts", h("h1", {}, t("portal.new_post")), signInHint("portal.to_post")); return; }
  const files = h("input", { type: "file", name: "files", multiple: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", {
    class: "new-post",
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const ids = await uploadAll(files);
        const post = await api("POST", "/portal/posts", { kind: d.kind, title: d.title, body: d.body, attachment_ids: ids });
        location.hash = `#/portal/posts/${post.id}`;
      } catch (err) { error.textContent = problemText(err); }
      finally { button.disabled = false; }
    },
  },
    labelled(t("portal.kind"), select("kind", KINDS.map((k) => [k, t(`portal.kind.${k}`)]), "idea")),
    labelled(t("portal.title"), h("input", { name: "title", required: true, maxlength: 200 })),
    labelled(t("portal.body"), h("textarea", { name: "body", maxlength: 20000, "aria-describedby": "post-hint" })),
    h("p", { class: "muted", id: "post-hint" }, t("comment.hint")),
    labelled(t("comment.files"), files),
    h("button", { type: "submit" }, t("portal.publish")), error);
  portalPage("posts", h("h1", {}, t("portal.new_post")), form);
}

async function guarded(view, ...args) {
  try { await view(...args); } catch (err) { portalPage(null, h("h1", {}, t("portal.posts")), loadingError(err)); }
}

addRoute(/^\/portal(?:\?(.*))?$/, (q) => guarded(listView, q), { public: true });
addRoute(/^\/portal\/new$/, () => guarded(newPostView), { public: true });
