// Agent and client pages: dashboard, ticket lists, the ticket page, new ticket, profile.

import { state, t, h, show, when, api, problemText, onLive, onLeave, addRoute } from "./core.js";

async function dashboardView() {
  const [notes, inbox] = await Promise.all([
    api("GET", "/me/notifications?limit=20"),
    api("GET", "/tickets?box=inbox&limit=20").catch(() => null),
  ]);
  const list = inbox ? h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, t("ticket.subject")), h("th", {}, t("ticket.state")), h("th", {}, t("ticket.created")))),
    h("tbody", {}, inbox.items.map((tk) => h("tr", {},
      h("td", {}, h("a", { href: `#/tickets/${tk.id}` }, `#${tk.number}`)), h("td", {}, tk.subject),
      h("td", {}, t(`state.${tk.state}`)), h("td", {}, when(tk.created_at)))))) : null;
  show(
    h("h1", {}, t("dashboard.title", { name: state.me.full_name })),
    list ? [h("h2", {}, t("dashboard.inbox")), list] : null,
    h("h2", {}, t("dashboard.notifications")),
    notes.items.length
      ? h("ul", { id: "notifications" }, notes.items.map((n) => h("li", {}, n.ticket_id ? h("a", { href: `#/tickets/${n.ticket_id}` }, n.title) : n.title, " — ", n.body, " ", h("span", { class: "muted" }, when(n.created_at)))))
      : h("p", { class: "muted" }, t("dashboard.none")),
  );
  onLeave(onLive("notification", () => dashboardView()));
}

async function newTicketView() {
  const units = (await api("GET", "/units")).items;
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      try {
        const tk = await api("POST", "/tickets", { subject: d.subject, body: d.body, priority: d.priority, unit_id: Number(d.unit_id) });
        location.hash = `#/tickets/${tk.id}`;
      } catch (err) { error.textContent = problemText(err); }
    },
  },
    h("label", {}, t("ticket.unit"), h("select", { name: "unit_id", required: true }, units.map((u) => h("option", { value: u.id }, u.name)))),
    h("label", {}, t("ticket.subject"), h("input", { name: "subject", required: true, maxlength: 255 })),
    h("label", {}, t("ticket.body"), h("textarea", { name: "body" })),
    h("label", {}, t("ticket.priority"), h("select", { name: "priority" }, ["low", "normal", "high"].map((p) => h("option", { value: p, selected: p === "normal" }, t(`priority.${p}`))))),
    h("button", { type: "submit" }, t("ticket.create")), error);
  show(h("h1", {}, t("nav.new_ticket")), form);
}

async function ticketView(id) {
  const tk = await api("GET", `/tickets/${id}`);
  const error = h("p", { class: "error", role: "alert" });
  const act = async (action) => {
    try { await api("POST", `/tickets/${id}/${action}`); await ticketView(id); } catch (err) { error.textContent = problemText(err); }
  };
  show(
    h("h1", {}, `#${tk.number} ${tk.subject}`),
    h("p", {}, h("span", { class: "state" }, t(`state.${tk.state}`)), " ", t(`priority.${tk.priority}`), " · ", when(tk.created_at)),
    h("p", { class: "body" }, tk.body),
    h("div", { class: "actions" }, tk.allowed_actions.filter((a) => ["lock", "unlock", "complete", "reopen"].includes(a))
      .map((a) => h("button", { type: "button", class: "secondary", onclick: () => act(a) }, t(`action.${a}`)))),
    error,
  );
  onLeave(onLive("ticket.updated", (msg) => { if (String(msg.ticket_id) === String(id)) ticketView(id); }));
}

addRoute(/^\/$/, dashboardView);
addRoute(/^\/tickets\/new$/, newTicketView);
addRoute(/^\/tickets\/(\d+)$/, ticketView);
