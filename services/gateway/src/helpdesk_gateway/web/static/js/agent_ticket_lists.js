// The ticket page's three lists: attachments (downloaded with the bearer header),
// comments (server-sanitised HTML) and the history, paged by cursor.
// Each is { node, load() }.

import { t, h, api, when, problemText, safeHtml, download, rememberNames, userName } from "./core.js";

const HISTORY_PAGE = 50;

// A failed download is told in `error`, the page's alert line.
export function attachmentList(id, error) {
  const node = h("section", { id: "attachments" });
  const item = (a) => h("li", {},
    h("button", { type: "button", class: "link", onclick: () => download(`/attachments/${a.id}`, a.filename).catch((err) => { error.textContent = problemText(err); }) }, a.filename),
    " ", h("span", { class: "muted" }, `${Math.ceil(a.size / 1024)} KB · ${when(a.created_at)}`));
  const load = async () => {
    try {
      const page = await api("GET", `/tickets/${id}/attachments`);
      node.replaceChildren(h("h2", {}, t("ticket.attachments")), page.items.length
        ? h("ul", { class: "files" }, page.items.map(item))
        : h("p", { class: "muted" }, t("ticket.no_files")));
    } catch { node.replaceChildren(); }
  };
  return { node, load };
}

export function commentList(id) {
  const list = h("ol", { class: "comments", id: "comments", "aria-live": "polite" });
  const item = async (c) => h("li", { class: "comment", id: `comment-${c.id}` },
    h("div", { class: "comment-meta" }, h("strong", {}, await userName(c.author_id)), " · ", h("time", { datetime: c.created_at }, when(c.created_at))),
    safeHtml(c.html, "div", { class: "comment-body" }),
    (c.attachment_ids || []).length ? h("p", { class: "comment-files muted" }, t("comment.has_files", { n: c.attachment_ids.length })) : null);
  const load = async () => {
    const page = await api("GET", `/tickets/${id}/comments`);
    rememberNames(page.names);
    const items = await Promise.all(page.items.map(item));
    list.replaceChildren(...items);
    if (!items.length) list.append(h("li", { class: "muted" }, t("ticket.no_comments")));
  };
  return { node: h("section", {}, h("h2", {}, t("ticket.comments")), list), load };
}

// load(true) reads the first page again; load(false) appends the next one.
export function historyList(id) {
  const list = h("ol", { class: "history", id: "history" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("list.more"));
  let cursor = null;
  const item = async (e) => h("li", {},
    h("time", { datetime: e.at }, when(e.at)), " ", h("strong", {}, e.actor_id ? await userName(e.actor_id) : t("history.system")), " ",
    t(`history.${e.action}`), Object.keys(e.changes || {}).length
      ? h("span", { class: "muted" }, ` (${Object.keys(e.changes).map((k) => t(`field.${k}`)).join(", ")})`) : "");
  const load = async (reset) => {
    try {
      const page = await api("GET", `/tickets/${id}/history?limit=${HISTORY_PAGE}${!reset && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      rememberNames(page.names);
      const rows = await Promise.all(page.items.map(item));
      if (reset) list.replaceChildren(...rows); else list.append(...rows);
      cursor = page.items.length < HISTORY_PAGE ? null : page.next_cursor;
      more.hidden = !cursor;
    } catch { /* history is secondary */ }
  };
  more.addEventListener("click", () => load(false));
  return { node: h("section", {}, h("h2", {}, t("ticket.history")), list, more), load };
}
