// The head of the ticket page: number and subject, badges, the buttons for the
// actions the server allows (allowed_actions), the fields (custom ones included)
// and the description.

import { t, h, api, when, problemText, userName, isStaff } from "./core.js";
import { unitName, stateBadge, priorityBadge, announce, detail, customFieldDetails } from "./agent_common.js";
import { forwardDialog, editDialog, deleteTicket } from "./agent_ticket_dialogs.js";

const personLink = async (id) => (isStaff() ? h("a", { href: `#/users/${id}` }, await userName(id)) : await userName(id));
const commaSeparated = (nodes) => nodes.flatMap((n, i) => (i ? [", ", n] : [n]));

// { node, render() }: render() draws page.tk.
export function ticketHead(page) {
  const node = h("div", { id: "ticket-head" });
  const render = async () => {
    const tk = page.tk;
    node.replaceChildren(
      h("h1", {}, `#${tk.number} ${tk.subject}`),
      h("p", { class: "badges" }, stateBadge(tk.state), " ", priorityBadge(tk.priority),
        tk.locked_by ? [" ", h("span", { class: "muted" }, t("ticket.locked_by", { name: await userName(tk.locked_by) }))] : null),
      h("div", { class: "actions", id: "ticket-actions" }, tk.allowed_actions.filter((a) => a !== "comment").map((a) => actionButton(page, a))),
      h("dl", { class: "fields" }, await fields(tk), customFieldDetails(await page.defs, tk.custom_fields || {})),
      h("h2", {}, t("ticket.body")),
      h("p", { class: "body" }, tk.body || "—"),
    );
  };
  return { node, render };
}

// The fields as one flat list of <dt>, <dd> (h() flattens one level only).
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
