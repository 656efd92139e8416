// The comment box of the ticket page: Markdown with a Write / Preview tab pair, canned
// responses (staff), "internal note" (staff; its default per role is a setting), files
// (checked against the limits before they are sent), and the "replying" signal for
// presence. It lives as long as the page, so a refresh of the rest keeps the draft.

import { t, h, api, problemText, sendLive, safeHtml, upload, isStaff } from "./core.js";
import { announce, checkbox, fileInput, checkFiles, ticketSettings } from "./agent_common.js";
import { cannedPicker } from "./agent_canned.js";

// { node }: the form; page.refresh() runs after a comment is sent.
export function commentBox(page) {
  const text = h("textarea", { name: "body", id: "comment-body", maxlength: 50000, "aria-describedby": "comment-hint" });
  const preview = h("div", { class: "preview", id: "comment-preview", hidden: true, "aria-live": "polite" });
  const { input: files, hint: filesHint } = fileInput({ name: "files" });
  const error = h("p", { class: "error", role: "alert" });
  const staff = isStaff();
  const internal = staff ? checkbox(t("comment.internal"), { name: "internal", id: "comment-internal" }) : null;
  // Back to the role's default after each comment: a note is internal only when meant to be.
  const resetInternal = () => { if (internal) ticketSettings().then((s) => { internal.querySelector("input").checked = Boolean(s.internal_by_default); }); };
  resetInternal();
  const tabs = writePreviewTabs(text, preview);
  const typing = typingSignal(page.id, text);
  const form = h("form", {
    class: "comment-form",
    onsubmit: async (e) => {
      e.preventDefault();
      if (!text.value.trim() && !files.files.length) { error.textContent = t("comment.empty"); return; }
      const wrong = checkFiles(files.files, await ticketSettings());
      if (wrong.length) { error.textContent = wrong.join("\n"); return; }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const isInternal = internal ? internal.querySelector("input").checked : undefined;
        await send(page.id, text.value, files.files, isInternal);
        text.value = ""; files.value = ""; error.textContent = "";
        resetInternal();
        typing(false);
        await tabs.select("write");
        await page.refresh();
        announce(t("done.comment"));
      } catch (err) { error.textContent = problemText(err); }
      finally { button.disabled = false; }
    },
  },
    h("h2", {}, t("comment.add")),
    staff ? cannedPicker(page, text) : null,
    tabs.node,
    h("label", { for: "comment-body", class: "sr-only" }, t("comment.text")), text, preview,
    h("p", { class: "muted", id: "comment-hint" }, t("comment.hint")),
    h("label", {}, t("comment.files"), files, filesHint),
    internal,
    h("button", { type: "submit" }, t("comment.send")), error);
  return { node: form, focus: () => { tabs.select("write"); text.focus(); } };
}

// The files first (each for this comment: no history entry of their own), then the
// comment that names them.
async function send(id, body, files, internal) {
  const ids = [];
  for (const f of files) ids.push((await upload(`/tickets/${id}/attachments?for_comment=true`, f)).id);
  await api("POST", `/tickets/${id}/comments`, { body, attachment_ids: ids, ...(internal === undefined ? {} : { internal }) });
}

// { node, select(which) }: the preview is rendered by the server (POST /markdown).
function writePreviewTabs(text, preview) {
  const writeTab = h("button", { type: "button", role: "tab", "aria-selected": "true", "aria-controls": "comment-body", class: "tab" }, t("comment.write"));
  const previewTab = h("button", { type: "button", role: "tab", "aria-selected": "false", "aria-controls": "comment-preview", class: "tab" }, t("comment.preview"));
  const select = async (which) => {
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
  writeTab.addEventListener("click", () => select("write"));
  previewTab.addEventListener("click", () => select("preview"));
  return { node: h("div", { role: "tablist", class: "tabs" }, writeTab, previewTab), select };
}

// Tells the others on the page whether this user is writing (only on a change);
// returns the setter, for the reset after sending.
function typingSignal(id, text) {
  let typing = false;
  const set = (on) => { if (on !== typing) { typing = on; sendLive({ type: "typing", ticket_id: Number(id), typing: on }); } };
  text.addEventListener("input", () => set(text.value.trim() !== ""));
  text.addEventListener("focus", () => set(text.value.trim() !== ""));
  text.addEventListener("blur", () => set(false));
  return set;
}
