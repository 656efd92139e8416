// The SLA clocks of the ticket page (reaction, work, deadline) with a countdown
// that ticks every second while the page is open.

import { t, h, api, when, onLeave, duration } from "./core.js";

const CLOCKS = ["reaction", "work", "deadline"];

// { node, load() }: load() reads GET /tickets/{id}/sla and redraws.
export function slaClocks(id) {
  const node = h("section", { class: "clocks", id: "sla" });
  const load = async () => {
    let sla = null;
    try { sla = await api("GET", `/tickets/${id}/sla`); } catch { /* drawn as "no SLA" */ }
    render(node, sla);
  };
  const timer = setInterval(() => tick(node), 1000);
  onLeave(() => clearInterval(timer));
  return { node, load };
}

function render(node, sla) {
  node.replaceChildren(h("h2", {}, t("ticket.sla")));
  if (!sla || CLOCKS.every((k) => (sla[k]?.state || "off") === "off")) { node.append(h("p", { class: "muted" }, t("sla.none"))); return; }
  node.append(h("div", { class: "clock-row" }, CLOCKS.map((kind) => clock(kind, sla[kind] || { state: "off" }))));
  tick(node);
}

// The figures the countdown needs travel in data- attributes of .clock-left.
function clock(kind, c) {
  return h("div", { class: `clock clock-${c.state}`, "data-kind": kind },
    h("span", { class: "clock-name" }, t(`clock.${kind}`)),
    h("span", { class: "clock-state" }, t(`sla.${c.state}`)),
    h("span", { class: "clock-left", "data-due": c.due_at || "", "data-running": c.is_running === false ? "0" : "1", "data-remaining": c.remaining_seconds ?? "", "data-used": c.used_seconds ?? "" }),
    c.due_at ? h("span", { class: "clock-due muted" }, t("clock.due", { at: when(c.due_at) })) : null);
}

function tick(node) {
  for (const el of node.querySelectorAll(".clock-left")) el.textContent = leftText(el);
}

// Remaining time is computed from `due_at` while the clock runs; a met clock shows what it
// took; one that has not started yet (work, before anyone takes the ticket) its limit.
function leftText(el) {
  const box = el.closest(".clock");
  if (box.classList.contains("clock-met")) return el.dataset.used !== "" ? t("clock.took", { time: duration(Number(el.dataset.used)) }) : "";
  if (box.classList.contains("clock-pending")) return el.dataset.remaining !== "" ? t("clock.limit", { time: duration(Number(el.dataset.remaining)) }) : "";
  if (box.classList.contains("clock-off")) return "";
  let secs = null;
  if (el.dataset.due && el.dataset.running === "1") secs = (new Date(el.dataset.due).getTime() - Date.now()) / 1000;
  else if (el.dataset.remaining !== "") secs = Number(el.dataset.remaining);
  if (secs == null) return "";
  return secs >= 0 ? t("clock.left", { time: duration(secs) }) : t("clock.over", { time: duration(-secs) });
}
