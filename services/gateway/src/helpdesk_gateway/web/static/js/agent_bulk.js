// Bulk actions on a ticket list (staff): tick tickets (or all shown), choose take,
// release, complete, forward or a priority; each ticket is checked on its own by the
// server, and the summary says how many were done and which were refused, and why.

import { t, h, api, problemText, fieldErrorText } from "./core.js";
import { select, options, PRIORITIES, filterUnits, announce } from "./agent_common.js";

const ACTIONS = ["lock", "unlock", "complete", "forward", "priority"];

// { node, attach(table) }: attach() wires the table's check boxes; `after()` runs once
// an action is done (the list reloads).
export function bulkBar(after) {
  const count = h("span", { class: "bulk-count", id: "bulk-count" });
  const summary = h("div", { class: "bulk-summary", id: "bulk-summary", role: "status" });
  const action = select("action", ACTIONS.map((a) => [a, t(`bulk.${a}`)]), "lock", { "aria-label": t("bulk.action") });
  const priority = select("priority", PRIORITIES.map((p) => [p, t(`priority.${p}`)]), "high", { "aria-label": t("bulk.new_priority"), hidden: true });
  const unit = h("select", { name: "unit_id", "aria-label": t("ticket.unit"), hidden: true });
  filterUnits().then((list) => unit.append(...options(list).map(([v, text]) => h("option", { value: v }, text))));
  const go = h("button", { type: "submit", disabled: true }, t("bulk.apply"));
  let table = null;
  const picked = () => (table ? [...table.querySelectorAll("input.pick:checked")].map((c) => Number(c.value)) : []);
  const sync = () => {
    const n = picked().length;
    count.textContent = t("bulk.selected", { n });
    go.disabled = n === 0;
    priority.hidden = action.value !== "priority";
    unit.hidden = action.value !== "forward";
  };
  action.addEventListener("change", sync);
  const form = h("form", {
    class: "bulk-bar inline no-print", id: "bulk-bar",
    onsubmit: async (e) => {
      e.preventDefault();
      const ids = picked();
      if (!ids.length) return;
      const body = { action: action.value, ticket_ids: ids };
      if (action.value === "priority") body.priority = priority.value;
      if (action.value === "forward") body.unit_id = Number(unit.value);
      go.disabled = true;
      try {
        const res = await api("POST", "/tickets/bulk", body);
        summary.replaceChildren(
          h("p", {}, t("bulk.done", { n: res.done.length, total: ids.length })),
          res.refused.length ? h("ul", { class: "bulk-refused" }, res.refused.map((r) => h("li", {}, `#${r.ticket_id}: `, t(`bulk.refused.${r.code}`) === `bulk.refused.${r.code}` ? r.detail : t(`bulk.refused.${r.code}`)))) : null);
        announce(t("bulk.done", { n: res.done.length, total: ids.length }));
        await after();
      } catch (err) {
        summary.replaceChildren(h("p", { class: "error" }, problemText(err, (err.problem?.errors || []).filter((x) => x.field !== "ticket_ids")), (err.problem?.errors || []).filter((x) => x.field === "ticket_ids").map((x) => ` ${fieldErrorText(x)}`)));
      } finally { sync(); }
    },
  }, count, action, priority, unit, go);
  const attach = (node) => {
    table = node;
    const all = node.querySelector("input.pick-all");
    all?.addEventListener("change", () => { for (const c of node.querySelectorAll("input.pick")) c.checked = all.checked; sync(); });
    for (const c of node.querySelectorAll("input.pick")) c.addEventListener("change", sync);
    sync();
  };
  return { node: h("div", { class: "bulk" }, form, summary), attach };
}
