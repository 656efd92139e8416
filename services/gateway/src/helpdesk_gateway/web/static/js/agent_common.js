// Pieces shared by the agent and client pages: cached look-ups (units, subjects,
// custom fields), the ticket table, badges and a live-region announcer.

import { t, h, api, when } from "./core.js";

let unitsCache = null;
let unitsAt = 0;
// All units ([{id, name}]); cached for a minute for names, read afresh by forms (fresh = true).
export async function units(fresh = false) {
  if (!unitsCache || fresh || Date.now() - unitsAt > 60_000) {
    unitsAt = Date.now();
    unitsCache = api("GET", "/units").then((r) => r.items).catch(() => []);
  }
  return unitsCache;
}
export async function unitName(id) {
  const u = (await units()).find((x) => String(x.id) === String(id));
  return u ? u.name : id ? `#${id}` : "";
}
// Custom field definitions ([] while GET /custom-fields is not available).
export async function customFields() {
  try { return (await api("GET", "/custom-fields")).items || []; } catch { return []; }
}
export async function subjects() {
  try { return (await api("GET", "/subjects")).items || []; } catch { return []; }
}

export function stateBadge(state) { return h("span", { class: `state state-${state}` }, t(`state.${state}`)); }
export function priorityBadge(p) { return h("span", { class: `prio prio-${p}` }, t(`priority.${p}`)); }
export function slaBadge(tk) {
  const s = tk.sla_state || (tk.sla && typeof tk.sla === "object" && !Array.isArray(tk.sla) ? worstClock(tk.sla) : null);
  return s && s !== "off" ? h("span", { class: `sla sla-${s}` }, t(`sla.${s}`)) : "";
}
function worstClock(sla) {
  const order = ["breached", "warning", "ok", "met"];
  const states = Object.values(sla).map((c) => c?.state).filter(Boolean);
  return order.find((s) => states.includes(s)) || null;
}

// The ticket table used by lists and the dashboard (the SLA column only when the
// items carry an SLA state).
export async function ticketTable(items, { caption } = {}) {
  const names = await Promise.all(items.map((tk) => unitName(tk.unit_id)));
  const withSla = items.some((tk) => tk.sla_state || tk.sla);
  return h("div", { class: "table-wrap" }, h("table", { class: "tickets" },
    caption ? h("caption", { class: "sr-only" }, caption) : null,
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "#"), h("th", { scope: "col" }, t("ticket.subject")), h("th", { scope: "col" }, t("ticket.state")),
      h("th", { scope: "col" }, t("ticket.priority")), h("th", { scope: "col", class: "col-unit" }, t("ticket.unit")),
      withSla ? h("th", { scope: "col" }, t("ticket.sla")) : null,
      h("th", { scope: "col", class: "col-updated" }, t("ticket.updated")))),
    h("tbody", {}, items.map((tk, i) => h("tr", { "data-ticket": tk.id },
      h("td", {}, h("a", { href: `#/tickets/${tk.id}` }, `#${tk.number}`)),
      h("td", {}, h("a", { href: `#/tickets/${tk.id}` }, tk.subject)),
      h("td", {}, stateBadge(tk.state)), h("td", {}, priorityBadge(tk.priority)), h("td", { class: "col-unit" }, names[i]),
      withSla ? h("td", {}, slaBadge(tk)) : null,
      h("td", { class: "col-updated" }, when(tk.updated_at || tk.created_at)))))));
}

// announce("List updated") — read out by screen readers through #announcer.
export function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 50);
}
