// The head of the ticket page: number and subject, badges, a plain status line for
// clients, the buttons for the actions the server allows (allowed_actions) and Print,
// the fields (custom ones included) and the description (Markdown, rendered by the
// server like the comments).

import { t, h, api, when, problemText, userName, isStaff, safeHtml } from "./core.js";
import { unitName, stateBadge, priorityBadge, announce, detail, customFieldDetails, ticketSettings } from "./agent_common.js";
import { forwardDialog, editDialog, deleteTicket } from "./agent_ticket_dialogs.js";

const personLink = async (id) => (isStaff() ? h("a", { href: `#/users/${id}` }, await userName(id)) : await userName(id));
const commaSeparated = (nodes) => nodes.flatMap((n, i) => (i ? [", ", n] : [n]));

// { node, render() }: render() draws page.tk.
export function ticketHead(page) {
  const node = h("div", { id: "ticket-head" });
  const render = async () => {
    const tk = page.tk;
    // (the DOM's replaceChildren would write a null as the text "null": nulls are dropped)
    node.replaceChildren(...[
      h("h1", {}, `#${tk.number} ${tk.subject}`),
      h("p", { class: "badges" }, stateBadge(tk.state), " ", priorityBadge(tk.priority),
        tk.locked_by ? [" ", h("span", { class: "muted" }, t("ticket.locked_by", { name: await userName(tk.locked_by) }))] : null),
      isStaff() ? null : h("p", { class: "status-line", id: "status-line", role: "status" }, await statusLine(tk)),
      h("div", { class: "actions no-print", id: "ticket-actions" },
        tk.allowed_actions.filter((a) => a !== "comment").map((a) => actionButton(page, a)),
        h("button", { type: "button", class: "secondary", onclick: () => window.print() }, t("action.print"))),
      h("dl", { class: "fields" }, await fields(tk), customFieldDetails(await page.defs, tk.custom_fields || {})),
      h("h2", {}, t("ticket.body")),
      tk.body ? safeHtml(tk.body_html ?? "", "div", { class: "body markdown", id: "ticket-body" }) : h("p", { class: "body" }, "—"),
    ].filter((n) => n != null));
  };
  return { node, render };
}

// What a client needs to know, in one sentence: who has his request, whether it is done,
// and whether a comment of his will reopen it.
async function statusLine(tk) {
  if (tk.state === "new") return t("status.new");
  if (tk.state === "in_work") return t("status.in_work", { name: await userName(tk.locked_by) });
  if (tk.state === "archived") return t("status.archived");
  const s = await ticketSettings();
  return s.client_reopen ? t("status.done_reopen", { days: s.client_reopen_days }) : t("status.done");
}

// The fields as one list of <dt>, <dd>.
async function fields(tk) {
  const unit = await unitName(tk.unit_id);
  const assignees = tk.assignee_ids.length ? await Promise.all(tk.assignee_ids.map(personLink)) : [t("ticket.whole_unit")];
  return [
    detail(t("ticket.unit"), isStaff() ? h("a", { href: `#/units/${tk.unit_id}` }, unit) : unit),
    detail(t("ticket.assignees"), ...commaSeparated(assignees)),
    detail(t("ticket.author"), await personLink(tk.author_id)),
    tk.client_id ? detail(t("ticket.client"), await personLink(tk.client_id)) : null,
    tk.done_by ? detail(t("ticket.done_by"), await userName(tk.done_by)) : null,
    tk.deadline ? detail(t("ticket.deadline"), when(tk.deadline)) : null,
    detail(t("ticket.created"), when(tk.created_at)),
    detail(t("ticket.updated"), when(tk.updated_at)),
  ].flat();
}

// Actions with a dialog of their own; every other one is a plain transition.
const DIALOGS = { forward: ["secondary", forwardDialog], edit: ["secondary", editDialog], delete: ["danger", deleteTicket] };

function actionButton(page, action) {
  const [cls, run] = DIALOGS[action] ?? [action === "lock" || action === "complete" ? "" : "secondary", () => transition(page, action)];
  return h("button", { type: "button", class: cls, onclick: () => run(page) }, t(`action.${action}`));
}

// Transitions are not made conditional (If-Match): a comment also moves the version,
// and the server checks the state and the rights of every transition anyway.
async function transition(page, action) {
  page.error.textContent = "";
  try {
    await api("POST", `/tickets/${page.id}/${action}`);
    announce(t(`done.${action}`));
    await page.refresh();
  } catch (err) { page.error.textContent = problemText(err); await page.refresh().catch(() => null); }
}
