// New ticket #/tickets/new. Staff: subject (list or free text), body, unit, people
// of the unit, priority, client (searched), deadline, custom fields, files.
// Clients: unit, subject, body, the custom fields shown to clients, files.
// The unit is asked for (nothing is chosen for the user); problems are shown at their
// fields, and files are checked against the limits before anything is sent.

import { t, h, show, api, problemText, addRoute, upload, localToIso, isStaff, debounce, showFieldErrors } from "./core.js";
import {
  units, customFields, subjects, labelled, select, options, memberChecks, prioritySelect, deadlineField, customFieldInputs, readCustomFields,
  fileInput, checkFiles, ticketSettings,
} from "./agent_common.js";

async function newTicketView() {
  const staff = isStaff();
  const [unitList, subjectList, allDefs] = await Promise.all([units(true), subjects(), customFields()]);
  const defs = staff ? allDefs : allDefs.filter((f) => f.client_visible || f.visible_to_clients || f.show_to_clients);
  const error = h("p", { class: "error", role: "alert" });
  const people = h("fieldset", { class: "people", hidden: !staff }, h("legend", {}, t("ticket.assignees")));
  const fillPeople = async (unitId) => {
    if (!staff || !unitId) return;
    people.replaceChildren(h("legend", {}, t("ticket.assignees")), h("p", { class: "muted" }, t("ticket.people_hint")));
    try { people.append(...await memberChecks(unitId)); } catch { /* members are optional */ }
  };
  const unitSelect = select("unit_id", [["", t("new.choose_unit")], ...options(unitList)], "", { required: true, onchange: (e) => fillPeople(e.target.value) });
  // Subject: pick from the list, or type a free one (the server decides whether free text is allowed).
  const subjectId = `subjects-${Date.now()}`;
  const { input: filesInput, hint: filesHint } = fileInput({ name: "files" });

  const form = h("form", {
    class: "new-ticket",
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = "";
      const wrong = checkFiles(filesInput.files, await ticketSettings());
      if (wrong.length) { error.textContent = wrong.join("\n"); return; }
      const body = { ...ticketBody(new FormData(form), subjectList, staff), source: "web" };
      const cf = readCustomFields(defs, form);
      if (Object.keys(cf).length) body.custom_fields = cf;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const tk = await api("POST", "/tickets", body, { "Idempotency-Key": crypto.randomUUID() });
        await attachFiles(tk.id, filesInput.files);
        location.hash = `#/tickets/${tk.id}`;
      } catch (err) {
        const left = showFieldErrors(form, err);
        error.textContent = left.length || !err.problem?.errors?.length ? problemText(err, left) : t("new.fix_fields");
        button.disabled = false;
      }
    },
  },
    labelled(t("ticket.unit"), unitSelect),
    labelled(t("ticket.subject"), h("input", { name: "subject", required: true, maxlength: 255, pattern: ".*\\S.*", list: subjectId, autocomplete: "off" })),
    h("datalist", { id: subjectId }, subjectList.map((s) => h("option", { value: s.name }))),
    labelled(t("ticket.body"), h("textarea", { name: "body" })),
    staff ? [people, prioritySelect("normal"), clientPicker(), deadlineField()] : null,
    customFieldInputs(defs),
    labelled(t("comment.files"), [filesInput, filesHint]),
    defs.some((f) => f.required) ? h("p", { class: "muted" }, t("new.required")) : null,
    h("button", { type: "submit" }, t("ticket.create")), error);
  show(h("h1", {}, t("nav.new_ticket")), form);
  await fillPeople(unitSelect.value);
}

// The POST /tickets body from the form: a subject from the list goes by its id.
function ticketBody(d, subjectList, staff) {
  const subject = String(d.get("subject") || "").trim();
  const known = subjectList.find((s) => s.name.trim().toLowerCase() === subject.toLowerCase());
  const body = { body: d.get("body") || "", unit_id: Number(d.get("unit_id")), ...(known ? { subject_id: known.id } : { subject }) };
  if (!staff) return body;
  body.priority = d.get("priority") || "normal";
  const assignees = d.getAll("assignee_ids").map(Number);
  if (assignees.length) body.assignee_ids = assignees;
  if (d.get("client_id")) body.client_id = Number(d.get("client_id"));
  const deadline = localToIso(d.get("deadline"));
  if (deadline) body.deadline = deadline;
  return body;
}

// The ticket exists once created: a file that fails is told on the ticket page (flash).
async function attachFiles(ticketId, files) {
  const failed = [];
  for (const f of files) { try { await upload(`/tickets/${ticketId}/attachments`, f); } catch (err) { failed.push(`${f.name}: ${problemText(err)}`); } }
  if (failed.length) sessionStorage.setItem("hd.flash", failed.join("\n"));
}

// The client (staff only): a search box fills the select with the matching clients.
function clientPicker() {
  const noClient = () => h("option", { value: "" }, t("new.no_client"));
  const clientSelect = h("select", { name: "client_id" }, noClient());
  const search = debounce(async (e) => {
    const q = e.target.value.trim();
    if (!q) return;
    try {
      const found = (await api("GET", `/users?kind=client&q=${encodeURIComponent(q)}&limit=20`)).items;
      clientSelect.replaceChildren(noClient(), found.map((u) => h("option", { value: u.id }, `${u.full_name} (${u.email || u.login})`)));
      if (found.length) clientSelect.value = String(found[0].id);
    } catch { /* leave the list */ }
  }, 300);
  return h("fieldset", {}, h("legend", {}, t("ticket.client")),
    h("input", { type: "search", "aria-label": t("new.client_search"), placeholder: t("new.client_search"), oninput: search }),
    labelled(t("new.client_pick"), clientSelect));
}

addRoute(/^\/tickets\/new$/, newTicketView);
