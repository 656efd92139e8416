// The ticket page's three lists: attachments (downloaded with the bearer header),
// comments (server-sanitised HTML; internal notes marked) and the history, paged by
// cursor and told in words. Each is { node, load() }.

import { t, h, api, when, problemText, safeHtml, download, rememberNames, userName, formatSize, tr } from "./core.js";
import { avatar } from "./agent_common.js";

const HISTORY_PAGE = 50;

// A failed download is told in `error`, the page's alert line.
export function attachmentList(id, error) {
  const node = h("section", { id: "attachments" });
  const item = (a) => h("li", {},
    h("button", { type: "button", class: "link", onclick: () => download(`/attachments/${a.id}`, a.filename).catch((err) => { error.textContent = problemText(err); }) }, a.filename),
    " ", h("span", { class: "muted" }, `${formatSize(a.size)} · ${when(a.created_at)}`));
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
  const item = async (c) => {
    const name = await userName(c.author_id);
    return h("li", { class: c.internal ? "comment internal" : "comment", id: `comment-${c.id}` },
      h("div", { class: "comment-meta" }, avatar(name, { small: true }), " ", h("strong", {}, name), " · ", h("time", { datetime: c.created_at }, when(c.created_at)),
        c.internal ? [" ", h("span", { class: "internal-badge" }, t("comment.internal_badge"))] : null),
      safeHtml(c.html, "div", { class: "comment-body" }),
      (c.attachments || []).length ? h("p", { class: "comment-files muted" }, t("comment.files_named", { names: c.attachments.map((a) => a.filename).join(", ") })) : null);
  };
  const load = async () => {
    const page = await api("GET", `/tickets/${id}/comments`);
    rememberNames(page.names);
    const items = await Promise.all(page.items.map(item));
    list.replaceChildren(...items);
    if (!items.length) list.append(h("li", { class: "muted" }, t("ticket.no_comments")));
  };
  return { node: h("section", {}, h("h2", {}, t("ticket.comments")), list), load };
}

// What changed, in words: "commented with 2 files: a.png, b.pdf", "attached a file:
// report.pdf", "edited it (subject, priority)". Keys that say nothing to a reader
// (the comment's and the files' ids) are not shown.
const QUIET = new Set(["comment_id", "attachment_ids", "attachments", "internal", "clock", "due_at"]);
export function historyText(e) {
  const c = e.changes || {};
  const files = (v) => (Array.isArray(v) ? v : [v]).filter(Boolean);
  if (e.action === "commented") {
    const names = files(c.attachments?.[1]);
    const n = names.length || files(c.attachment_ids?.[1]).length;
    const base = c.internal ? t("history.commented_internal") : t("history.commented");
    return n ? `${base} ${t("history.with_files", { n, names: names.join(", ") })}`.trim() : base;
  }
  if (e.action.startsWith("sla_") && c.clock) return `${t(`history.${e.action}`)}: ${t(`clock.${c.clock[1]}`)}`;
  if (e.action === "edited" && c.attachments && Object.keys(c).length === 1) return t("history.attached_named", { name: files(c.attachments[1]).join(", ") });
  const shown = Object.keys(c).filter((k) => !QUIET.has(k)).map((k) => (k.startsWith("custom_fields.") ? t("field.custom_fields") : tr(`field.${k}`) ?? k));
  const what = tr(`history.${e.action}`) ?? e.action;
  // The state changes of take, complete... say nothing the action's words do not.
  const listed = ["edited", "forwarded"].includes(e.action) ? [...new Set(shown)] : [];
  return listed.length ? `${what} (${listed.join(", ")})` : what;
}

// load(true) reads the first page again; load(false) appends the next one.
export function historyList(id) {
  const list = h("ol", { class: "history", id: "history" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("list.more"));
  let cursor = null;
  const item = async (e) => h("li", { class: e.changes?.internal ? "internal" : null },
    h("time", { datetime: e.at }, when(e.at)), " ", h("strong", {}, e.actor_id ? await userName(e.actor_id) : t("history.system")), " ",
    historyText(e));
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
