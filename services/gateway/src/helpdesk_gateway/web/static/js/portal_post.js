// One portal post: its text and files, likes, the official answer, the comments with
// the comment box; for staff the status, the answer, hiding, and making a ticket of it.

import { state, t, h, api, addRoute, problemText, safeHtml } from "./core.js";
import { labelled, select, options, units, announce, PRIORITIES } from "./agent_common.js";
import { portalPage, kindBadge, statusBadge, authorLine, fileList, uploadAll, signInHint, loadPortal, loadingError } from "./portal_common.js";

function voteButtons(post, redraw, error) {
  const can = post.allowed_actions.includes("like");
  const vote = async (value) => {
    try { redraw(await api("POST", `/portal/posts/${post.id}/like`, { value: post.my_vote === value ? "none" : value })); }
    catch (err) { error.textContent = problemText(err); }
  };
  const button = (value, sign, n) => h("button", {
    type: "button", class: `vote ${post.my_vote === value ? "" : "secondary"}`, disabled: !can,
    "aria-pressed": String(post.my_vote === value), "aria-label": t(`portal.${value}_n`, { n }), onclick: () => vote(value),
  }, `${sign} ${n}`);
  return h("div", { class: "votes", role: "group", "aria-label": t("portal.vote") },
    button("like", "▲", post.likes), button("dislike", "▼", post.dislikes),
    can ? null : signInHint("portal.to_vote"));
}

function answerBox(post) {
  if (!post.answer) return null;
  return h("section", { class: "official", "aria-labelledby": "answer-title" },
    h("h2", { id: "answer-title" }, t("portal.official_answer")),
    h("p", { class: "muted" }, authorLine(post.answer.author, post.answer.answered_at)),
    safeHtml(post.answer.html, "div", { class: "comment-body" }));
}

// Staff: status, official answer, hide or show, and the ticket.
function staffTools(post, redraw) {
  const acts = post.allowed_actions;
  if (!acts.includes("set_status")) return null;
  const status = h("p", { class: "status", role: "status" });
  const save = async (change, done) => {
    try { redraw(await api("PATCH", `/portal/posts/${post.id}`, change)); announce(t(done)); }
    catch (err) { status.textContent = problemText(err); }
  };
  const statusForm = h("form", {
    class: "inline",
    onsubmit: (e) => { e.preventDefault(); save({ status: new FormData(statusForm).get("status") }, "portal.saved"); },
  }, labelled(t("portal.status"), select("status", state.portal.kinds[post.kind].map((s) => [s, t(`portal.status.${s}`)]), post.status)),
  h("button", { type: "submit" }, t("portal.set_status")));
  const answer = h("textarea", { name: "answer", maxlength: 20000 });
  answer.value = post.answer?.body || "";
  const answerForm = h("form", {
    onsubmit: (e) => { e.preventDefault(); save({ answer: answer.value }, "portal.saved"); },
  }, labelled(t("portal.official_answer"), answer), h("button", { type: "submit" }, t("portal.give_answer")));
  const hide = h("button", { type: "button", class: "secondary", onclick: () => save({ is_hidden: !post.is_hidden }, "portal.saved") },
    post.is_hidden ? t("portal.show") : t("portal.hide"));
  return h("section", { class: "card staff-tools", "aria-labelledby": "staff-title" },
    h("h2", { id: "staff-title" }, t("portal.moderation")), statusForm, answerForm,
    h("div", { class: "actions" }, hide), ticketTool(post, redraw, status), status);
}

function ticketTool(post, redraw, status) {
  if (post.ticket_id) return h("p", {}, h("a", { href: `#/tickets/${post.ticket_id}` }, t("portal.open_ticket", { id: post.ticket_id })));
  if (!post.allowed_actions.includes("link_ticket")) return null;
  const unitSelect = select("unit_id", [], "", { required: true });
  units(true).then((list) => unitSelect.replaceChildren(...options(list).map(([v, text]) => h("option", { value: v }, text))));
  const form = h("form", {
    class: "inline",
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      try {
        const made = await api("POST", `/portal/posts/${post.id}/ticket`, { unit_id: Number(d.unit_id), priority: d.priority });
        redraw(made.post);
        announce(t("portal.ticket_made", { n: made.ticket_number }));
      } catch (err) { status.textContent = problemText(err); }
    },
  }, labelled(t("ticket.unit"), unitSelect),
  labelled(t("ticket.priority"), select("priority", PRIORITIES.map((p) => [p, t(`priority.${p}`)]), "normal")),
  h("button", { type: "submit" }, t("portal.make_ticket")));
  return form;
}

function commentItem(c, reload) {
  const hide = c.allowed_actions.includes("hide")
    ? h("button", { type: "button", class: "link", onclick: async () => { await api("PATCH", `/portal/comments/${c.id}`, { is_hidden: !c.is_hidden }); await reload(); } },
      c.is_hidden ? t("portal.show") : t("portal.hide"))
    : null;
  const error = h("span", { class: "error" });
  return h("li", { class: `comment${c.is_hidden ? " is-hidden" : ""}`, id: `comment-${c.id}` },
    h("div", { class: "comment-meta" }, authorLine(c.author, c.created_at), c.is_hidden ? [" · ", h("span", { class: "hidden-tag" }, t("portal.hidden"))] : null, hide ? [" · ", hide] : null),
    safeHtml(c.html, "div", { class: "comment-body" }), fileList(c.attachments, error), error);
}

function commentSection(post) {
  const list = h("ol", { class: "comments", id: "comments", "aria-live": "polite" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("list.more"));
  let cursor = null;
  const load = async (reset) => {
    if (reset) { cursor = null; list.replaceChildren(); }
    const page = await api("GET", `/portal/posts/${post.id}/comments?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    list.append(...page.items.map((c) => commentItem(c, () => load(true))));
    if (!list.children.length) list.append(h("li", { class: "muted" }, t("portal.no_comments")));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => load(false));
  const box = post.allowed_actions.includes("comment") ? commentForm(post, () => load(true)) : signInHint("portal.to_comment");
  return { node: h("section", { "aria-labelledby": "comments-title" }, h("h2", { id: "comments-title" }, t("portal.comments")), list, more, box), load };
}

function commentForm(post, reload) {
  const text = h("textarea", { name: "body", id: "comment-body", maxlength: 10000 });
  const files = h("input", { type: "file", name: "files", multiple: true });
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", {
    class: "comment-form",
    onsubmit: async (e) => {
      e.preventDefault();
      if (!text.value.trim() && !files.files.length) { error.textContent = t("comment.empty"); return; }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const ids = await uploadAll(files);
        await api("POST", `/portal/posts/${post.id}/comments`, { body: text.value, attachment_ids: ids });
        text.value = ""; files.value = ""; error.textContent = "";
        await reload();
        announce(t("done.comment"));
      } catch (err) { error.textContent = problemText(err); }
      finally { button.disabled = false; }
    },
  }, labelled(t("comment.add"), text), h("p", { class: "muted" }, t("comment.hint")), labelled(t("comment.files"), files),
  h("button", { type: "submit" }, t("comment.send")), error);
  return form;
}

async function postView(id) {
  if (!state.portal) await loadPortal();
  if (!state.portal) throw Object.assign(new Error("off"), { status: 404 });
  let post;
  try { post = await api("GET", `/portal/posts/${id}`); } catch (err) { portalPage("posts", h("h1", {}, t("portal.posts")), loadingError(err)); return; }
  const error = h("p", { class: "error", role: "alert" });
  const comments = commentSection(post);
  const head = h("div", { id: "post-head" });
  const redraw = (p) => {
    post = p;
    head.replaceChildren(...[
      h("p", { class: "post-tags" }, kindBadge(p.kind), " ", statusBadge(p.status), p.is_hidden ? [" ", h("span", { class: "hidden-tag" }, t("portal.hidden"))] : null),
      h("h1", {}, p.title),
      h("p", { class: "muted" }, authorLine(p.author, p.created_at)),
      p.html ? safeHtml(p.html, "div", { class: "comment-body post-body" }) : null,
      fileList(p.attachments, error),
      voteButtons(p, redraw, error),
      answerBox(p),
      staffTools(p, redraw)].filter(Boolean));
  };
  redraw(post);
  portalPage("posts", h("p", {}, h("a", { href: "#/portal" }, t("portal.back"))), head, error, comments.node);
  await comments.load(true);
}

addRoute(/^\/portal\/posts\/(\d+)$/, postView, { public: true });
