// The ticket page #/tickets/{id}: puts its parts together and keeps them fresh.
// The parts: the head with the actions the server allows (agent_ticket_head.js),
// the SLA clocks (agent_ticket_sla.js), attachments, comments and history
// (agent_ticket_lists.js), the comment box (agent_ticket_comment.js), presence
// (agent_ticket_presence.js) and the edit / forward dialogs (agent_ticket_dialogs.js).
// The page refreshes on `ticket.updated` for this ticket and keeps the comment draft.
//
// The parts share one `page` object: { id, tk, etag, defs, error, refresh }.

import { t, h, show, apiFull, onLive, onLeave, addRoute, rememberNames, debounce } from "./core.js";
import { customFields, announce } from "./agent_common.js";
import { ticketHead } from "./agent_ticket_head.js";
import { slaClocks } from "./agent_ticket_sla.js";
import { attachmentList, commentList, historyList } from "./agent_ticket_lists.js";
import { commentBox } from "./agent_ticket_comment.js";
import { presenceBanner } from "./agent_ticket_presence.js";
import { commentRequested } from "./agent_keys.js";

async function ticketView(id) {
  const page = { id, tk: null, etag: null, defs: customFields(), error: h("p", { class: "error", role: "alert" }), refresh: null };
  const head = ticketHead(page);
  const presence = presenceBanner(id);
  const clocks = slaClocks(id);
  const files = attachmentList(id, page.error);
  const comments = commentList(id);
  const history = historyList(id);
  const comment = commentBox(page);

  const loadTicket = async () => {
    const res = await apiFull("GET", `/tickets/${id}`);
    page.tk = res.data;
    page.etag = res.headers.get("ETag");
    rememberNames(page.tk.names);
    await head.render();
    comment.node.hidden = !page.tk.allowed_actions.includes("comment");
  };
  const loadParts = () => Promise.all([clocks.load(), files.load(), comments.load(), history.load(true)]);
  // False once the user has left this page: late refreshes then draw nothing.
  let alive = true;
  onLeave(() => { alive = false; });
  page.refresh = async () => {
    if (!alive) return;
    try { await loadTicket(); }
    catch (err) {
      if (err.status === 404 && alive) { show(h("h1", {}, t("error.title")), h("p", { class: "error" }, t("error.not_found"))); return; }
      throw err;
    }
    await loadParts();
  };

  await loadTicket();
  await loadParts();
  show(head.node, presence.node, page.error, clocks.node, files.node, comments.node, comment.node, history.node);
  presence.follow();
  commentRequested(id);
  followTicket(id, page.refresh, clocks);
}

// Live: a change of this ticket redraws the page, a counter change the clocks.
function followTicket(id, refresh, clocks) {
  const mine = (msg) => String(msg.ticket_id) === String(id);
  const liveRefresh = debounce(async () => { await refresh(); announce(t("ticket.updated_live")); }, 250);
  onLeave(onLive("ticket.updated", (msg) => { if (mine(msg)) liveRefresh(); }));
  onLeave(onLive("counters", (msg) => { if (mine(msg)) clocks.load(); }));
  onLeave(onLive("resync", liveRefresh));
}

addRoute(/^\/tickets\/(\d+)$/, ticketView);
