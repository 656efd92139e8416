// New ticket #/tickets/new. Staff: subject (list or free text), body, unit, people
// of the unit, priority, client (searched), deadline, custom fields, files.
// Clients: unit, subject, body, the custom fields shown to clients, files.

import { t, h, show, api, problemText, addRoute, upload, localToIso, isStaff, debounce, userZone } from "./core.js";
import { units, customFields, subjects } from "./agent_common.js";
import { customFieldInputs, readCustomFields } from "./agent_ticket.js";

async function newTicketView() {
  const staff = isStaff();
  const [unitList, subjectList, allDefs] = await Promise.all([units(true), subjects(), customFields()]);
  const defs = staff ? allDefs : allDefs.filter((f) => f.client_visible || f.visible_to_clients || f.show_to_clients);
  const error = h("p", { class: "error", role: "alert" });
  const people = h("fieldset", { class: "people", hidden: !staff }, h("legend", {}, t("ticket.assignees")));
  const fillPeople = async (unitId) => {
    if (!staff || !unitId) return;
    people.replaceChildren(h("legend", {}, t("ticket.assignees")), h("p", { class: "muted" }, t("ticket.people_hint")));
    try {
      const members = (await api("GET", `/units/${unitId}/members`)).items;
      people.append(...members.map((m) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "assignee_ids", value: m.id }), m.full_name)));
    } catch { /* members are optional */ }
  };
  const unitSelect = h("select", { name: "unit_id", required: true, onchange: (e) => fillPeople(e.target.value) },
    unitList.map((u) => h("option", { value: u.id }, u.name)));

  // Subject: pick from the list, or type a free one (the server decides whether free text is allowed).
  const subjectId = `subjects-${Date.now()}`;
  const subjectInput = h("input", { name: "subject", required: true, maxlength: 255, list: subjectId, autocomplete: "off" });
  const subjectData = h("datalist", { id: subjectId }, subjectList.map((s) => h("option", { value: s.name })));

  // Client picker (staff): search box + result select.
  const clientSelect = h("select", { name: "client_id" }, h("option", { value: "" }, t("new.no_client")));
  const clientSearch = h("input", { type: "search", "aria-label": t("new.client_search"), placeholder: t("new.client_search"),
    oninput: debounce(async (e) => {
      const q = e.target.value.trim();
      if (!q) return;
      try {
        const found = (await api("GET", `/users?kind=client&q=${encodeURIComponent(q)}&limit=20`)).items;
        clientSelect.replaceChildren(h("option", { value: "" }, t("new.no_client")), found.map((u) => h("option", { value: u.id }, `${u.full_name} (${u.email || u.login})`)));
        if (found.length) clientSelect.value = String(found[0].id);
      } catch { /* leave the list */ }
    }, 300) });
  const fileInput = h("input", { type: "file", name: "files", multiple: true });

  const form = h("form", {
    class: "new-ticket",
    onsubmit: async (e) => {
      e.preventDefault();
      const d = new FormData(form);
      const subject = String(d.get("subject") || "").trim();
      const known = subjectList.find((s) => s.name === subject);
      const body = { body: d.get("body") || "", unit_id: Number(d.get("unit_id")), ...(known ? { subject_id: known.id } : { subject }) };
      if (staff) {
        body.priority = d.get("priority") || "normal";
        const assignees = d.getAll("assignee_ids").map(Number);
        if (assignees.length) body.assignee_ids = assignees;
        if (d.get("client_id")) body.client_id = Number(d.get("client_id"));
        const deadline = localToIso(d.get("deadline"));
        if (deadline) body.deadline = deadline;
      }
      const cf = readCustomFields(defs, form);
      if (Object.keys(cf).length) body.custom_fields = cf;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const tk = await api("POST", "/tickets", body, { "Idempotency-Key": crypto.randomUUID() });
        const failed = [];
        for (const f of fileInput.files) { try { await upload(`/tickets/${tk.id}/attachments`, f); } catch (err) { failed.push(`${f.name}: ${problemText(err)}`); } }
        if (failed.length) sessionStorage.setItem("hd.flash", failed.join("\n"));
        location.hash = `#/tickets/${tk.id}`;
      } catch (err) { error.textContent = problemText(err); button.disabled = false; }
    },
  },
    h("label", {}, t("ticket.unit"), unitSelect),
    h("label", {}, t("ticket.subject"), subjectInput), subjectData,
    h("label", {}, t("ticket.body"), h("textarea", { name: "body" })),
    staff ? people : null,
    staff ? h("label", {}, t("ticket.priority"), h("select", { name: "priority" }, ["low", "normal", "high"].map((p) => h("option", { value: p, selected: p === "normal" }, t(`priority.${p}`))))) : null,
    staff ? h("fieldset", {}, h("legend", {}, t("ticket.client")), clientSearch, h("label", {}, t("new.client_pick"), clientSelect)) : null,
    staff ? h("label", {}, h("span", {}, t("ticket.deadline"), h("span", { class: "muted zone" }, ` (${userZone()})`)), h("input", { name: "deadline", type: "datetime-local" })) : null,
    customFieldInputs(defs),
    h("label", {}, t("comment.files"), fileInput),
    defs.some((f) => f.required) ? h("p", { class: "muted" }, t("new.required")) : null,
    h("button", { type: "submit" }, t("ticket.create")), error);
  show(h("h1", {}, t("nav.new_ticket")), form);
  await fillPeople(unitSelect.value);
}

addRoute(/^\/tickets\/new$/, newTicketView);
