// The ticket page's dialogs: forward (unit, people, note), edit (subject,
// description, priority, deadline, custom fields; conditional on the version the
// form was filled from) and the confirmation before deleting.

import { t, h, api, apiFull, problemText, localToIso, isoToLocal, isStaff, showFieldErrors } from "./core.js";
import {
  units, announce, labelled, select, options, memberChecks, prioritySelect, deadlineField, customFieldInputs, readCustomFields,
} from "./agent_common.js";

// A modal <dialog> with a form: [Save] runs onSubmit(formData, form) and closes it
// when that succeeds; a problem stays in the dialog.
function dialog(title, body, onSubmit) {
  const error = h("p", { class: "error", role: "alert" });
  const dlg = h("dialog", { "aria-label": title });
  const form = h("form", {
    method: "dialog",
    onsubmit: async (e) => {
      e.preventDefault();
      if (e.submitter?.value === "cancel") { dlg.close(); return; }
      try { await onSubmit(new FormData(form), form); dlg.close(); } catch (err) { error.textContent = problemText(err, showFieldErrors(form, err)); }
    },
  }, h("h2", {}, title), body, error,
  h("div", { class: "actions" }, h("button", { type: "submit", value: "ok" }, t("dialog.save")), h("button", { type: "submit", value: "cancel", class: "secondary", formnovalidate: true }, t("dialog.cancel"))));
  dlg.append(form);
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

export async function forwardDialog(page) {
  const people = h("fieldset", { class: "people" }, h("legend", {}, t("ticket.assignees")));
  const fillPeople = async (unitId) => {
    people.replaceChildren(h("legend", {}, t("ticket.assignees")));
    try {
      const checks = await memberChecks(unitId);
      people.append(...checks);
      if (!checks.length) people.append(h("p", { class: "muted" }, t("ticket.no_members")));
    } catch (err) { people.append(h("p", { class: "error" }, problemText(err))); }
  };
  const unitSelect = select("unit_id", options(await units(true)), page.tk.unit_id, { required: true, onchange: (e) => fillPeople(e.target.value) });
  dialog(t("action.forward"), [labelled(t("ticket.unit"), unitSelect), people, labelled(t("ticket.note"), h("textarea", { name: "note", maxlength: 50000 }))],
    async (data) => {
      await api("POST", `/tickets/${page.id}/forward`,
        { unit_id: Number(data.get("unit_id")), assignee_ids: data.getAll("assignee_ids").map(Number), note: data.get("note") || "" });
      announce(t("done.forward"));
      // Forwarded away from the caller's sight: back to the inbox, with the news.
      try { await api("GET", `/tickets/${page.id}`); } catch (err) {
        if (err.status === 404) { sessionStorage.setItem("hd.notice", t("done.forward")); location.hash = "#/tickets?box=inbox"; return; }
      }
      await page.refresh();
    });
  await fillPeople(unitSelect.value);
}

export async function editDialog(page) {
  const defs = await page.defs;
  // The edit is conditional on the version the form was filled from (412 if changed since).
  const before = page.tk;
  const since = page.etag;
  // Clients describe their request; how urgent it is and when it is due are the staff's.
  const staff = isStaff();
  dialog(t("action.edit"), [
    labelled(t("ticket.subject"), h("input", { name: "subject", required: true, maxlength: 255, pattern: ".*\\S.*", value: before.subject })),
    labelled(t("ticket.body"), h("textarea", { name: "body" }, before.body)),
    staff ? prioritySelect(before.priority) : null,
    staff ? deadlineField(isoToLocal(before.deadline)) : null,
    customFieldInputs(defs, before.custom_fields || {}),
  ], async (data, form) => {
    const patch = changes(before, data, readCustomFields(defs, form, { clear: true }));
    if (!Object.keys(patch).length) return;
    try {
      const res = await apiFull("PATCH", `/tickets/${page.id}`, patch, since ? { "If-Match": since } : {});
      page.etag = res.headers.get("ETag");
      announce(t("done.edit"));
    } catch (err) {
      if (err.status !== 412) throw err;
      page.error.textContent = t("ticket.changed_meanwhile");
    }
    await page.refresh();
  });
}

// Only what changed is sent (custom fields: only the changed ones, null clears).
function changes(before, data, cf) {
  const patch = {};
  for (const k of ["subject", "body", "priority"]) if (data.has(k) && data.get(k) !== (before[k] ?? "")) patch[k] = data.get(k);
  if (data.has("deadline")) {
    const deadline = localToIso(data.get("deadline"));
    if (isoToLocal(deadline) !== isoToLocal(before.deadline)) patch.deadline = deadline;
  }
  const was = before.custom_fields || {};
  const changed = Object.fromEntries(Object.entries(cf).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(was[k] ?? null)));
  if (Object.keys(changed).length) patch.custom_fields = changed;
  return patch;
}

export async function deleteTicket(page) {
  if (!window.confirm(t("ticket.confirm_delete", { number: page.tk.number }))) return;
  try { await api("DELETE", `/tickets/${page.id}`); location.hash = "#/tickets?box=inbox"; } catch (err) { page.error.textContent = problemText(err); }
}
