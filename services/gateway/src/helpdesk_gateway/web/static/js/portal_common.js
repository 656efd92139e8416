// What the portal's pages share: whether the portal is on (state.portal, from GET
// /portal), its frame (the portal's own section links), badges, author lines, file
// lists and the Markdown box with its files (uploaded first, then attached by id).

import { state, t, h, show, api, when, download, problemText, upload } from "./core.js";

// GET /portal answers 404 while the portal is off: then state.portal is null and no
// page links to it. Called at start and after the admin changes the settings.
export async function loadPortal() {
  try {
    const res = await fetch("/api/v1/portal");
    state.portal = res.ok ? await res.json() : null;
  } catch { state.portal = null; }
  const link = document.getElementById("nav-portal");
  if (link) link.hidden = !state.portal || !state.me;
  return state.portal;
}

const SECTIONS = [["posts", "#/portal"], ["news", "#/portal/news"], ["kb", "#/portal/kb"]];

// The portal's frame: its title and its sections; `current` is marked.
export function portalPage(current, ...content) {
  const nav = h("nav", { class: "portal-nav", "aria-label": t("portal.sections") },
    SECTIONS.map(([key, href]) => h("a", { href, "aria-current": key === current ? "page" : false }, t(`portal.section.${key}`))));
  show(h("div", { class: "portal" }, h("p", { class: "portal-title" }, state.portal?.title || t("portal.default_title")), nav, ...content));
}

export const kindBadge = (kind) => h("span", { class: `kind kind-${kind}` }, t(`portal.kind.${kind}`));
export const statusBadge = (status) => h("span", { class: `pstatus pstatus-${status}` }, t(`portal.status.${status}`));
export function authorLine(author, at) {
  return h("span", { class: "byline" }, h("strong", {}, author.name),
    author.is_staff ? h("span", { class: "staff-tag" }, t("portal.staff")) : null,
    at ? [" · ", h("time", { datetime: at }, when(at))] : null);
}

// Files as download buttons; a failed download is told in `error`.
export function fileList(files, error) {
  if (!files?.length) return null;
  return h("ul", { class: "files" }, files.map((f) => h("li", {},
    h("button", { type: "button", class: "link", onclick: () => download(`/portal/attachments/${f.id}`, f.filename).catch((err) => { error.textContent = problemText(err); }) }, f.filename),
    " ", h("span", { class: "muted" }, `${Math.max(1, Math.ceil(f.size / 1024))} KB`))));
}

// Uploads the chosen files; their ids, to attach to what is written next.
export async function uploadAll(input) {
  const ids = [];
  for (const f of input.files) ids.push((await upload("/portal/attachments", f)).id);
  return ids;
}

// "Sign in to …" for anonymous readers where a signed-in one gets a form.
export function signInHint(key) {
  return h("p", { class: "muted sign-in-hint" }, h("a", { href: "#/" }, t("portal.sign_in")), t(key));
}

export function loadingError(err) {
  return h("p", { class: "error", role: "alert" }, err.status === 404 ? t("error.not_found") : problemText(err));
}

export const signedIn = () => Boolean(state.access && state.me);
export const staffUser = () => signedIn() && state.me.kind !== "client";

export { api };
