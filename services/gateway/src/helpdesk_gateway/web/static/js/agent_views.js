// Saved views of a ticket list: the filters and sort in the address, kept under a name,
// personal or (heads, admins) shared with a unit. Choosing one opens the list with them.

import { state, t, h, api, problemText } from "./core.js";
import { units } from "./agent_common.js";

// The units the caller may share a view with (the server checks again).
async function shareable() {
  const me = state.me;
  if (me.kind === "client") return [];
  const all = await units();
  if (me.is_admin || me.role === "department_head") return all;
  return me.role === "unit_head" ? all.filter((u) => (me.unit_ids || []).includes(u.id)) : [];
}

// { node }: a select of the saved views, and "Save this view" / "Delete" for the one shown.
export async function savedViews(params) {
  const current = new URLSearchParams(params);
  current.delete("cursor");
  const query = current.toString();
  let list = [];
  try { list = (await api("GET", "/saved-views")).items; } catch { /* views are a convenience */ }
  const status = h("span", { class: "muted", role: "status" });
  const chooser = h("select", { id: "saved-view", "aria-label": t("views.choose") },
    h("option", { value: "" }, t("views.choose")),
    list.map((v) => h("option", { value: v.id, selected: v.query === query }, v.unit_id ? `${v.name} · ${t("views.shared")}` : v.name)));
  chooser.addEventListener("change", () => {
    const v = list.find((x) => String(x.id) === chooser.value);
    if (v) location.hash = `#/tickets?${v.query}`;
  });
  const shown = list.find((v) => v.query === query);
  const units_ = await shareable();
  const save = h("button", {
    type: "button", class: "secondary", id: "save-view",
    onclick: async () => {
      const name = window.prompt(t("views.name_prompt"));
      if (!name || !name.trim()) return;
      let unitId = null;
      if (units_.length && window.confirm(t("views.share_prompt", { unit: units_[0].name }))) unitId = units_[0].id;
      try {
        await api("POST", "/saved-views", { name: name.trim(), query, unit_id: unitId });
        status.textContent = t("views.saved", { name: name.trim() });
        location.hash = `#/tickets?${query}&`;  // redraws the list with the new view chosen
      } catch (err) { status.textContent = problemText(err); }
    },
  }, t("views.save"));
  const remove = shown && (shown.owner_id === state.me.id || units_.some((u) => u.id === shown.unit_id))
    ? h("button", {
      type: "button", class: "secondary",
      onclick: async () => {
        if (!window.confirm(t("views.confirm_delete", { name: shown.name }))) return;
        try { await api("DELETE", `/saved-views/${shown.id}`); location.hash = `#/tickets?${query}&`; } catch (err) { status.textContent = problemText(err); }
      },
    }, t("views.delete"))
    : null;
  return { node: h("div", { class: "views no-print" }, chooser, save, remove, status) };
}
