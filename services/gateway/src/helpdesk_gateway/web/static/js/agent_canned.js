// Canned responses: the picker in the comment box (inserts the text at the cursor with
// its placeholders filled: {client_name}, {author_name}, {ticket_number},
// {ticket_subject}, {agent_name}) and the page #/canned where staff keep their own and,
// as heads, their units' shared ones.

import { state, t, h, show, api, problemText, addRoute, userName, showFieldErrors } from "./core.js";
import { units, labelled, select, options, announce } from "./agent_common.js";

export const PLACEHOLDERS = ["client_name", "author_name", "ticket_number", "ticket_subject", "agent_name"];

// The text with its placeholders filled from the ticket page.
export async function fillPlaceholders(body, tk) {
  const values = {
    client_name: tk.client_id ? await userName(tk.client_id) : await userName(tk.author_id),
    author_name: await userName(tk.author_id),
    ticket_number: `#${tk.number}`,
    ticket_subject: tk.subject,
    agent_name: state.me.full_name,
  };
  return body.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? values[key] : whole));
}

function insertAt(text, value) {
  const at = text.selectionStart ?? text.value.length;
  text.value = text.value.slice(0, at) + value + text.value.slice(text.selectionEnd ?? at);
  text.selectionStart = text.selectionEnd = at + value.length;
  text.dispatchEvent(new Event("input"));
  text.focus();
}

// A select of the caller's canned responses; choosing one inserts it into `text`.
export function cannedPicker(page, text) {
  const sel = h("select", { id: "canned-pick", "aria-label": t("canned.insert") }, h("option", { value: "" }, t("canned.insert")));
  let items = [];
  api("GET", "/canned-responses").then((r) => {
    items = r.items;
    sel.append(...items.map((c) => h("option", { value: c.id }, c.unit_id ? `${c.title} · ${t("canned.shared")}` : c.title)));
  }).catch(() => { sel.disabled = true; });
  sel.addEventListener("change", async () => {
    const chosen = items.find((c) => String(c.id) === sel.value);
    sel.value = "";
    if (chosen) { insertAt(text, await fillPlaceholders(chosen.body, page.tk)); announce(t("canned.inserted", { title: chosen.title })); }
  });
  return h("div", { class: "canned-row" }, sel, " ", h("a", { href: "#/canned" }, t("canned.manage")));
}

// The units a head may share with (department heads and admins: all).
async function shareChoices() {
  const me = state.me;
  const all = await units(true);
  if (me.is_admin || me.role === "department_head") return all;
  return me.role === "unit_head" ? all.filter((u) => (me.unit_ids || []).includes(u.id)) : [];
}

async function cannedView(flash) {
  const [page, unitList, shareable] = await Promise.all([api("GET", "/canned-responses"), units(), shareChoices()]);
  const status = h("p", { role: "status", class: "status" }, flash || "");
  const unitName = new Map(unitList.map((u) => [u.id, u.name]));
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", {
    class: "canned-form",
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      try {
        const made = await api("POST", "/canned-responses", { title: d.title.trim(), body: d.body, unit_id: d.unit_id ? Number(d.unit_id) : null });
        await cannedView(t("canned.created", { title: made.title }));
      } catch (err) { error.textContent = problemText(err, showFieldErrors(form, err)); }
    },
  },
    labelled(t("canned.title"), h("input", { name: "title", required: true, maxlength: 200 })),
    labelled(t("canned.body"), h("textarea", { name: "body", required: true, maxlength: 50000 })),
    h("p", { class: "muted" }, t("canned.placeholders", { list: PLACEHOLDERS.map((p) => `{${p}}`).join(", ") })),
    shareable.length ? labelled(t("canned.share"), select("unit_id", [["", t("canned.personal")], ...options(shareable)], "")) : null,
    h("button", { type: "submit" }, t("canned.create")), error);
  const remove = (c) => h("button", {
    type: "button", class: "danger",
    onclick: async () => {
      if (!window.confirm(t("canned.confirm_delete", { title: c.title }))) return;
      try { await api("DELETE", `/canned-responses/${c.id}`); await cannedView(t("canned.deleted")); } catch (err) { status.textContent = problemText(err); }
    },
  }, t("action.delete"));
  const list = page.items.length
    ? h("ul", { class: "canned-list", id: "canned-list" }, page.items.map((c) => h("li", {},
      h("strong", {}, c.title), " ", h("span", { class: "muted" }, c.unit_id ? t("canned.shared_with", { unit: unitName.get(c.unit_id) ?? `#${c.unit_id}` }) : t("canned.personal")),
      h("pre", { class: "canned-body" }, c.body),
      c.owner_id === state.me.id || shareable.some((u) => u.id === c.unit_id) ? remove(c) : null)))
    : h("p", { class: "muted" }, t("canned.none"));
  show(h("h1", {}, t("canned.heading")), status, list, h("h2", {}, t("canned.new")), form);
}

addRoute(/^\/canned$/, () => cannedView(), { staff: true });
