// The ticket page #/tickets/{id}: fields, SLA clocks with a live countdown,
// attachments, comments (Markdown with preview, files), history, the actions the
// server allows (allowed_actions), and presence ("X is viewing / replying").
// It refreshes on `ticket.updated` for this ticket and keeps the comment draft.

import {
  state, t, h, show, when, api, apiFull, problemText, onLive, onLeave, addRoute, sendLive,
  safeHtml, download, upload, localToIso, isoToLocal, duration, rememberNames, userName, knownName, isStaff, debounce, userZone,
} from "./core.js";
import { units, unitName, customFields, stateBadge, priorityBadge, announce } from "./agent_common.js";

const CLOCKS = ["reaction", "work", "deadline"];
const HISTORY_PAGE = 50;

function field(label, ...value) { return [h("dt", {}, label), h("dd", {}, ...value)]; }
const personLink = async (id) => (isStaff() ? h("a", { href: `#/users/${id}` }, await userName(id)) : await userName(id));

// A dialog (<dialog>) with a form; resolves when it closes.
function dialog(title, body, onSubmit) {
  const error = h("p", { class: "error", role: "alert" });
  const dlg = h("dialog", { "aria-label": title });
  const form = h("form", {
    method: "dialog",
    onsubmit: async (e) => {
      e.preventDefault();
      if (e.submitter?.value === "cancel") { dlg.close(); return; }
      try { await onSubmit(new FormData(form), form); dlg.close(); } catch (err) { error.textContent = problemText(err); }
    },
  }, h("h2", {}, title), body, error,
  h("div", { class: "actions" }, h("button", { type: "submit", value: "ok" }, t("dialog.save")), h("button", { type: "submit", value: "cancel", class: "secondary", formnovalidate: true }, t("dialog.cancel"))));
  dlg.append(form);
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

// Inputs for custom fields by kind; `values` keyed by field id string.
export function customFieldInputs(defs, values = {}) {
  return defs.map((f) => {
    const v = values[String(f.id)];
    const name = `cf_${f.id}`;
    const req = Boolean(f.required);
    const label = h("span", {}, f.name, req ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null);
    const opts = f.options || [];
    if (f.kind === "textarea") return h("label", {}, label, h("textarea", { name, required: req }, v ?? ""));
    if (f.kind === "select") return h("label", {}, label, h("select", { name, required: req }, h("option", { value: "" }, "—"), opts.map((o) => h("option", { value: o, selected: o === v }, o))));
    if (f.kind === "multiselect") return h("label", {}, label, h("select", { name, multiple: true, required: req }, opts.map((o) => h("option", { value: o, selected: Array.isArray(v) && v.includes(o) }, o))));
    if (f.kind === "date") return h("label", {}, label, h("input", { name, type: "date", required: req, value: v ?? "" }));
    return h("label", {}, label, h("input", { name, required: req, value: v ?? "", maxlength: 1000 }));
  });
}
// Values keyed by field id string; empty ones left out, or null with `clear` (PATCH clears them).
export function readCustomFields(defs, form, { clear = false } = {}) {
  const data = new FormData(form);
  const out = {};
  for (const f of defs) {
    const name = `cf_${f.id}`;
    const v = f.kind === "multiselect" ? data.getAll(name) : data.get(name);
    if (Array.isArray(v) ? v.length : v) out[String(f.id)] = v;
    else if (clear) out[String(f.id)] = null;
  }
  return out;
}

async function ticketView(id) {
  let etag = null;
  let tk = null;
  const defsP = customFields();
  const error = h("p", { class: "error", role: "alert" });
  const head = h("div", { id: "ticket-head" });
  const presence = h("p", { class: "presence", id: "presence", role: "status", "aria-live": "polite", hidden: true });
  const clocks = h("section", { class: "clocks", id: "sla" });
  const files = h("section", { id: "attachments" });
  const comments = h("ol", { class: "comments", id: "comments", "aria-live": "polite" });
  const history = h("ol", { class: "history", id: "history" });
  const historyMore = h("button", { type: "button", class: "secondary", hidden: true }, t("list.more"));
  let historyCursor = null;
  let slaData = null;

  // ---- loading -----------------------------------------------------------------
  const loadTicket = async () => {
    const res = await apiFull("GET", `/tickets/${id}`);
    tk = res.data;
    etag = res.headers.get("ETag");
    rememberNames(tk.names);
    await renderHead();
  };
  const loadSla = async () => {
    try { slaData = await api("GET", `/tickets/${id}/sla`); slaData._at = Date.now(); } catch { slaData = null; }
    renderClocks();
  };
  const loadFiles = async () => {
    try {
      const page = await api("GET", `/tickets/${id}/attachments`);
      files.replaceChildren(h("h2", {}, t("ticket.attachments")), page.items.length
        ? h("ul", { class: "files" }, page.items.map((a) => h("li", {},
          h("button", { type: "button", class: "link", onclick: () => download(`/attachments/${a.id}`, a.filename).catch((err) => { error.textContent = problemText(err); }) }, a.filename),
          " ", h("span", { class: "muted" }, `${Math.ceil(a.size / 1024)} KB · ${when(a.created_at)}`))))
        : h("p", { class: "muted" }, t("ticket.no_files")));
    } catch { files.replaceChildren(); }
  };
  const loadComments = async () => {
    const page = await api("GET", `/tickets/${id}/comments`);
    rememberNames(page.names);
    const items = await Promise.all(page.items.map(async (c) => h("li", { class: "comment", id: `comment-${c.id}` },
      h("div", { class: "comment-meta" }, h("strong", {}, await userName(c.author_id)), " · ", h("time", { datetime: c.created_at }, when(c.created_at))),
      safeHtml(c.html, "div", { class: "comment-body" }),
      (c.attachment_ids || []).length ? h("p", { class: "comment-files muted" }, t("comment.has_files", { n: c.attachment_ids.length })) : null)));
    comments.replaceChildren(...items);
    if (!items.length) comments.append(h("li", { class: "muted" }, t("ticket.no_comments")));
  };
  const loadHistory = async (reset) => {
    try {
      const page = await api("GET", `/tickets/${id}/history?limit=${HISTORY_PAGE}${!reset && historyCursor ? `&cursor=${encodeURIComponent(historyCursor)}` : ""}`);
      rememberNames(page.names);
      const rows = await Promise.all(page.items.map(async (e) => h("li", {},
        h("time", { datetime: e.at }, when(e.at)), " ", h("strong", {}, e.actor_id ? await userName(e.actor_id) : t("history.system")), " ",
        t(`history.${e.action}`), Object.keys(e.changes || {}).length
          ? h("span", { class: "muted" }, ` (${Object.keys(e.changes).map((k) => t(`field.${k}`)).join(", ")})`) : "")));
      if (reset) history.replaceChildren(...rows); else history.append(...rows);
      historyCursor = page.items.length < HISTORY_PAGE ? null : page.next_cursor;
      historyMore.hidden = !historyCursor;
    } catch { /* history is secondary */ }
  };
  historyMore.addEventListener("click", () => loadHistory(false));

  // ---- rendering ---------------------------------------------------------------
  // Transitions are not made conditional (If-Match): a comment also moves the version,
  // and the server checks the state and the rights of every transition anyway.
  const act = async (action) => {
    error.textContent = "";
    try {
      await api("POST", `/tickets/${id}/${action}`);
      announce(t(`done.${action}`));
      await refreshAll();
    } catch (err) { error.textContent = problemText(err); await refreshAll().catch(() => null); }
  };
  const renderHead = async () => {
    const defs = await defsP;
    const cf = tk.custom_fields || {};
    const cfRows = defs.filter((f) => cf[String(f.id)] != null && cf[String(f.id)] !== "")
      .flatMap((f) => field(f.name, Array.isArray(cf[String(f.id)]) ? cf[String(f.id)].join(", ") : String(cf[String(f.id)])));
    const assignees = tk.assignee_ids.length ? await Promise.all(tk.assignee_ids.map(personLink)) : [t("ticket.whole_unit")];
    const unit = await unitName(tk.unit_id);
    const actions = tk.allowed_actions.filter((a) => a !== "comment").map((a) => {
      if (a === "forward") return h("button", { type: "button", class: "secondary", onclick: () => forwardDialog() }, t("action.forward"));
      if (a === "edit") return h("button", { type: "button", class: "secondary", onclick: () => editDialog() }, t("action.edit"));
      if (a === "delete") return h("button", { type: "button", class: "danger", onclick: () => remove() }, t("action.delete"));
      return h("button", { type: "button", class: a === "lock" || a === "complete" ? "" : "secondary", onclick: () => act(a) }, t(`action.${a}`));
    });
    head.replaceChildren(
      h("h1", {}, `#${tk.number} ${tk.subject}`),
      h("p", { class: "badges" }, stateBadge(tk.state), " ", priorityBadge(tk.priority),
        tk.locked_by ? [" ", h("span", { class: "muted" }, t("ticket.locked_by", { name: await userName(tk.locked_by) }))] : null),
      h("div", { class: "actions", id: "ticket-actions" }, actions),
      h("dl", { class: "fields" },
        field(t("ticket.unit"), isStaff() ? h("a", { href: `#/units/${tk.unit_id}` }, unit) : unit),
        field(t("ticket.assignees"), ...assignees.flatMap((a, i) => (i ? [", ", a] : [a]))),
        field(t("ticket.author"), await personLink(tk.author_id)),
        tk.client_id ? field(t("ticket.client"), await personLink(tk.client_id)) : null,
        tk.done_by ? field(t("ticket.done_by"), await userName(tk.done_by)) : null,
        tk.deadline ? field(t("ticket.deadline"), when(tk.deadline)) : null,
        field(t("ticket.created"), when(tk.created_at)),
        field(t("ticket.updated"), when(tk.updated_at)),
        cfRows),
      h("h2", {}, t("ticket.body")),
      h("p", { class: "body" }, tk.body || "—"),
    );
    commentForm.hidden = !tk.allowed_actions.includes("comment");
  };
  const renderClocks = () => {
    clocks.replaceChildren(h("h2", {}, t("ticket.sla")));
    if (!slaData || CLOCKS.every((k) => (slaData[k]?.state || "off") === "off")) { clocks.append(h("p", { class: "muted" }, t("sla.none"))); return; }
    clocks.append(h("div", { class: "clock-row" }, CLOCKS.map((kind) => {
      const c = slaData[kind] || { state: "off" };
      const left = h("span", { class: "clock-left", "data-due": c.due_at || "", "data-running": c.is_running === false ? "0" : "1", "data-remaining": c.remaining_seconds ?? "", "data-used": c.used_seconds ?? "" });
      const box = h("div", { class: `clock clock-${c.state}`, "data-kind": kind },
        h("span", { class: "clock-name" }, t(`clock.${kind}`)),
        h("span", { class: "clock-state" }, t(`sla.${c.state}`)), left,
        c.due_at ? h("span", { class: "clock-due muted" }, t("clock.due", { at: when(c.due_at) })) : null);
      return box;
    })));
    tick();
  };
  // The 1 s countdown: remaining is computed from `due_at` while the clock runs.
  const tick = () => {
    for (const el of clocks.querySelectorAll(".clock-left")) {
      const box = el.closest(".clock");
      if (box.classList.contains("clock-met")) { el.textContent = el.dataset.used !== "" ? t("clock.took", { time: duration(Number(el.dataset.used)) }) : ""; continue; }
      if (box.classList.contains("clock-off")) { el.textContent = ""; continue; }
      let secs = null;
      if (el.dataset.due && el.dataset.running === "1") secs = (new Date(el.dataset.due).getTime() - Date.now()) / 1000;
      else if (el.dataset.remaining !== "") secs = Number(el.dataset.remaining);
      el.textContent = secs == null ? "" : secs >= 0 ? t("clock.left", { time: duration(secs) }) : t("clock.over", { time: duration(-secs) });
    }
  };
  const timer = setInterval(tick, 1000);
  onLeave(() => clearInterval(timer));

  // ---- dialogs -----------------------------------------------------------------
  const forwardDialog = async () => {
    const unitList = await units(true);
    const people = h("fieldset", { class: "people" }, h("legend", {}, t("ticket.assignees")));
    const fillPeople = async (unitId) => {
      people.replaceChildren(h("legend", {}, t("ticket.assignees")));
      try {
        const members = (await api("GET", `/units/${unitId}/members`)).items;
        people.append(...members.map((m) => h("label", { class: "check" }, h("input", { type: "checkbox", name: "assignee_ids", value: m.id }), m.full_name)));
        if (!members.length) people.append(h("p", { class: "muted" }, t("ticket.no_members")));
      } catch (err) { people.append(h("p", { class: "error" }, problemText(err))); }
    };
    const unitSelect = h("select", { name: "unit_id", required: true, onchange: (e) => fillPeople(e.target.value) },
      unitList.map((u) => h("option", { value: u.id, selected: u.id === tk.unit_id }, u.name)));
    dialog(t("action.forward"), [h("label", {}, t("ticket.unit"), unitSelect), people, h("label", {}, t("ticket.note"), h("textarea", { name: "note", maxlength: 50000 }))],
      async (data) => {
        await api("POST", `/tickets/${id}/forward`,
          { unit_id: Number(data.get("unit_id")), assignee_ids: data.getAll("assignee_ids").map(Number), note: data.get("note") || "" });
        announce(t("done.forward"));
        // Forwarded away from the caller's sight: back to the inbox, with the news.
        try { await api("GET", `/tickets/${id}`); } catch (err) {
          if (err.status === 404) { sessionStorage.setItem("hd.notice", t("done.forward")); location.hash = "#/tickets?box=inbox"; return; }
        }
        await refreshAll();
      });
    await fillPeople(unitSelect.value);
  };
  const editDialog = async () => {
    const defs = await defsP;
    // The edit is conditional on the version the form was filled from (412 if changed since).
    const before = tk;
    const since = etag;
    dialog(t("action.edit"), [
      h("label", {}, t("ticket.subject"), h("input", { name: "subject", required: true, maxlength: 255, value: tk.subject })),
      h("label", {}, t("ticket.body"), h("textarea", { name: "body" }, tk.body)),
      h("label", {}, t("ticket.priority"), h("select", { name: "priority" }, ["low", "normal", "high"].map((p) => h("option", { value: p, selected: p === tk.priority }, t(`priority.${p}`))))),
      h("label", {}, h("span", {}, t("ticket.deadline"), h("span", { class: "muted zone" }, ` (${userZone()})`)), h("input", { name: "deadline", type: "datetime-local", value: isoToLocal(tk.deadline) })),
      customFieldInputs(defs, tk.custom_fields || {}),
    ], async (data, form) => {
      // Only what changed is sent.
      const patch = {};
      for (const k of ["subject", "body", "priority"]) if (data.get(k) !== (before[k] ?? "")) patch[k] = data.get(k);
      const deadline = localToIso(data.get("deadline"));
      if (isoToLocal(deadline) !== isoToLocal(before.deadline)) patch.deadline = deadline;
      const cf = readCustomFields(defs, form, { clear: true });
      const was = before.custom_fields || {};
      const changed = Object.fromEntries(Object.entries(cf).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(was[k] ?? null)));
      if (Object.keys(changed).length) patch.custom_fields = changed;
      if (!Object.keys(patch).length) return;
      try {
        const res = await apiFull("PATCH", `/tickets/${id}`, patch, since ? { "If-Match": since } : {});
        etag = res.headers.get("ETag");
        announce(t("done.edit"));
      } catch (err) {
        if (err.status !== 412) throw err;
        error.textContent = t("ticket.changed_meanwhile");
      }
      await refreshAll();
    });
  };
  const remove = async () => {
    if (!window.confirm(t("ticket.confirm_delete", { number: tk.number }))) return;
    try { await api("DELETE", `/tickets/${id}`); location.hash = "#/tickets?box=inbox"; } catch (err) { error.textContent = problemText(err); }
  };

  // ---- the comment form (kept across refreshes) ---------------------------------
  const text = h("textarea", { name: "body", id: "comment-body", maxlength: 50000, "aria-describedby": "comment-hint" });
  const preview = h("div", { class: "preview", id: "comment-preview", hidden: true, "aria-live": "polite" });
  const fileInput = h("input", { type: "file", name: "files", multiple: true });
  const writeTab = h("button", { type: "button", role: "tab", "aria-selected": "true", "aria-controls": "comment-body", class: "tab" }, t("comment.write"));
  const previewTab = h("button", { type: "button", role: "tab", "aria-selected": "false", "aria-controls": "comment-preview", class: "tab" }, t("comment.preview"));
  const setTab = async (which) => {
    writeTab.setAttribute("aria-selected", String(which === "write"));
    previewTab.setAttribute("aria-selected", String(which === "preview"));
    text.hidden = which !== "write";
    preview.hidden = which === "write";
    if (which === "preview") {
      preview.replaceChildren(h("p", { class: "muted" }, "…"));
      try { preview.replaceChildren(safeHtml((await api("POST", "/markdown", { text: text.value })).html)); }
      catch { preview.replaceChildren(h("p", { class: "muted" }, t("comment.no_preview"))); }
    } else text.focus();
  };
  writeTab.addEventListener("click", () => setTab("write"));
  previewTab.addEventListener("click", () => setTab("preview"));
  let typing = false;
  const setTyping = (on) => { if (on !== typing) { typing = on; sendLive({ type: "typing", ticket_id: Number(id), typing: on }); } };
  text.addEventListener("input", () => setTyping(text.value.trim() !== ""));
  text.addEventListener("focus", () => setTyping(text.value.trim() !== ""));
  text.addEventListener("blur", () => setTyping(false));
  const commentError = h("p", { class: "error", role: "alert" });
  const commentForm = h("form", {
    class: "comment-form",
    onsubmit: async (e) => {
      e.preventDefault();
      if (!text.value.trim() && !fileInput.files.length) { commentError.textContent = t("comment.empty"); return; }
      const button = commentForm.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const ids = [];
        for (const f of fileInput.files) ids.push((await upload(`/tickets/${id}/attachments`, f)).id);
        await api("POST", `/tickets/${id}/comments`, { body: text.value, attachment_ids: ids });
        text.value = ""; fileInput.value = ""; commentError.textContent = "";
        setTyping(false);
        await setTab("write");
        await refreshAll();
        announce(t("done.comment"));
      } catch (err) { commentError.textContent = problemText(err); }
      finally { button.disabled = false; }
    },
  },
    h("h2", {}, t("comment.add")),
    h("div", { role: "tablist", class: "tabs" }, writeTab, previewTab),
    h("label", { for: "comment-body", class: "sr-only" }, t("comment.text")), text, preview,
    h("p", { class: "muted", id: "comment-hint" }, t("comment.hint")),
    h("label", {}, t("comment.files"), fileInput),
    h("button", { type: "submit" }, t("comment.send")), commentError);

  // ---- presence -----------------------------------------------------------------
  // Names: known ones, else (staff) looked up, else the login from the message.
  let presenceSeq = 0;
  const renderPresence = async (msg) => {
    if (String(msg.ticket_id) !== String(id)) return;
    const seq = ++presenceSeq;
    const others = (msg.viewers || []).filter((v) => String(v.user_id) !== String(state.me.id));
    const byUser = new Map();
    for (const v of others) byUser.set(v.user_id, { ...v, typing: v.typing || byUser.get(v.user_id)?.typing });
    const names = await Promise.all([...byUser.values()].map(async (v) => knownName(v.user_id) || (isStaff() ? await userName(v.user_id) : null) || v.login));
    if (seq !== presenceSeq) return;
    presence.hidden = !byUser.size;
    presence.textContent = [...byUser.values()].map((v, i) => t(v.typing ? "presence.replying" : "presence.viewing", { name: names[i] })).join(" · ");
  };
  const announceView = () => sendLive({ type: "viewing", ticket_id: Number(id) });

  // False once the user has left this page: late refreshes then draw nothing.
  let alive = true;
  onLeave(() => { alive = false; });
  const refreshAll = async () => {
    if (!alive) return;
    try { await loadTicket(); }
    catch (err) {
      if (err.status === 404 && alive) { show(h("h1", {}, t("error.title")), h("p", { class: "error" }, t("error.not_found"))); return; }
      throw err;
    }
    await Promise.all([loadSla(), loadFiles(), loadComments(), loadHistory(true)]);
  };

  await loadTicket();
  await Promise.all([loadSla(), loadFiles(), loadComments(), loadHistory(true)]);
  show(head, presence, error, clocks, files,
    h("section", {}, h("h2", {}, t("ticket.comments")), comments), commentForm,
    h("section", {}, h("h2", {}, t("ticket.history")), history, historyMore));
  announceView();
  const liveRefresh = debounce(async () => { await refreshAll(); announce(t("ticket.updated_live")); }, 250);
  onLeave(onLive("ticket.updated", (msg) => { if (String(msg.ticket_id) === String(id)) liveRefresh(); }));
  onLeave(onLive("counters", (msg) => { if (String(msg.ticket_id) === String(id)) loadSla(); }));
  onLeave(onLive("resync", liveRefresh));
  onLeave(onLive("open", announceView));
  onLeave(onLive("presence", renderPresence));
  onLeave(() => sendLive({ type: "viewing", ticket_id: null }));
}

addRoute(/^\/tickets\/(\d+)$/, ticketView);
