// The top bar's search box (a number, "#18684" or "18684", opens that ticket; words search
// the inbox) and the keyboard shortcuts: "/" search, "j"/"k" move through a ticket list,
// "o" (or Enter) open, "c" comment, "?" this help. Keys are ignored while typing.

import { t, h, api } from "./core.js";

const KEYS = [["/", "keys.search"], ["j", "keys.next"], ["k", "keys.previous"], ["o", "keys.open"], ["c", "keys.comment"], ["?", "keys.help"]];
const NUMBER = /^\s*#?(\d{1,18})\s*$/;

// Where the search box goes: the ticket of that number if the user sees it, else a search.
export async function searchTarget(text) {
  const m = NUMBER.exec(text);
  if (m) {
    try { await api("GET", `/tickets/${m[1]}`); return `#/tickets/${m[1]}`; } catch { /* not his to see: search for it */ }
  }
  return `#/tickets?${new URLSearchParams({ box: "inbox", q: text.trim() })}`;
}

function topSearch() {
  const form = document.getElementById("top-search");
  if (!form || form.dataset.ready) return;
  form.dataset.ready = "1";
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = form.querySelector("input");
    if (!input.value.trim()) return;
    location.hash = await searchTarget(input.value);
    input.value = "";
  });
}

const rows = () => [...document.querySelectorAll("#ticket-list tbody tr")];
function move(step) {
  const all = rows();
  if (!all.length) return;
  const at = all.findIndex((r) => r.classList.contains("current"));
  const next = all[Math.min(Math.max(at + step, 0), all.length - 1)] ?? all[0];
  for (const r of all) r.classList.remove("current");
  next.classList.add("current");
  next.querySelector("td:not(.col-pick) a")?.focus();
}
function openCurrent(thenComment) {
  const row = rows().find((r) => r.classList.contains("current"));
  if (!row) return false;
  if (thenComment) sessionStorage.setItem("hd.comment", row.dataset.ticket);
  location.hash = `#/tickets/${row.dataset.ticket}`;
  return true;
}
function focusComment() {
  const box = document.getElementById("comment-body");
  if (!box) return false;
  box.scrollIntoView({ block: "center" });
  box.focus();
  return true;
}

export function helpDialog() {
  document.getElementById("keys-help")?.remove();
  const dlg = h("dialog", { id: "keys-help", "aria-labelledby": "keys-title" },
    h("h2", { id: "keys-title" }, t("keys.title")),
    h("dl", { class: "keys" }, KEYS.flatMap(([k, label]) => [h("dt", {}, h("kbd", {}, k)), h("dd", {}, t(label))])),
    h("form", { method: "dialog" }, h("button", { type: "submit" }, t("close"))));
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

function typing(e) {
  const el = e.target;
  return el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e) || document.querySelector("dialog[open]")) return;
  const handled = {
    "/": () => { const q = document.getElementById("top-q"); if (!q || q.offsetParent === null) return false; q.focus(); return true; },
    j: () => { move(1); return rows().length > 0; },
    k: () => { move(-1); return rows().length > 0; },
    o: () => openCurrent(false),
    Enter: () => (document.activeElement === document.body ? openCurrent(false) : false),
    c: () => focusComment() || openCurrent(true),
    "?": () => { helpDialog(); return true; },
  }[e.key]?.();
  if (handled) e.preventDefault();
});

// After "c" on a list row, the ticket page opens with the comment box focused.
export function commentRequested(id) {
  if (sessionStorage.getItem("hd.comment") !== String(id)) return false;
  sessionStorage.removeItem("hd.comment");
  return focusComment();
}

topSearch();
document.getElementById("keys-button")?.addEventListener("click", helpDialog);
