// Helpdesk web interface: boot, sign-in, the live socket and the hash router.
// Views are registered by js/agent.js (agents and clients) and js/admin.js (admin area).

import { state, t, h, show, api, remember, refresh, problemText, loadStrings, emitLive, findRoute, leave } from "./js/core.js";
import "./js/agent.js";
import "./js/admin.js";

// ---- live ---------------------------------------------------------------------------
let blink = null;
export function toast(title, body, href) {
  const box = h("div", { class: "toast" }, h("strong", {}, title), h("div", {}, body), href ? h("a", { href }, t("open")) : null);
  document.getElementById("toasts").append(box);
  setTimeout(() => box.remove(), 8000);
  if (document.hidden && !blink) {
    const original = document.title;
    blink = setInterval(() => { document.title = document.title === original ? `• ${title}` : original; }, 1000);
    document.addEventListener("visibilitychange", () => { clearInterval(blink); blink = null; document.title = original; }, { once: true });
  }
}
async function connectLive() {
  // The socket cannot send a header: the gateway puts the token in a /ws-only HttpOnly cookie.
  await fetch("/web/session", { method: "POST", headers: { Authorization: `Bearer ${state.access}` } }).catch(() => null);
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  const ws = new WebSocket(url);
  state.socket = ws;
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(e.data);
    if (msg.type === "notification") toast(msg.title, msg.body, msg.ticket_id ? `#/tickets/${msg.ticket_id}` : null);
    emitLive(msg);
  });
  ws.addEventListener("open", () => emitLive({ type: "open" }));
  ws.addEventListener("close", () => { if (state.socket === ws && state.access) setTimeout(connectLive, 3000); });
}

// ---- sign-in ------------------------------------------------------------------------
function loginView() {
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      try {
        remember(await api("POST", "/auth/login", data));
        await start();
      } catch (err) { error.textContent = err.status === 401 ? t("login.wrong") : problemText(err); }
    },
  },
    h("label", {}, t("login.login"), h("input", { name: "login", autocomplete: "username", required: true })),
    h("label", {}, t("login.password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    h("button", { type: "submit" }, t("login.submit")), error);
  show(h("h1", {}, t("login.title")), form);
}

// ---- routing ------------------------------------------------------------------------
async function route() {
  leave();
  if (!state.access) return loginView();
  const path = location.hash.replace(/^#/, "") || "/";
  try {
    const found = findRoute(path);
    const allowed = found && (!found.route.admin || state.me.is_admin) && (!found.route.staff || state.me.kind !== "client");
    if (!allowed) {
      show(h("h1", {}, t("error.title")), h("p", { class: "error" }, t("error.not_found")));
      return;
    }
    await found.route.view(...found.args);
  } catch (err) {
    show(h("h1", {}, t("error.title")), h("p", { class: "error" }, err.status === 404 ? t("error.not_found") : problemText(err)));
  }
}
export { route };

async function start() {
  state.me = await api("GET", "/me");
  await loadStrings(state.me.language);
  document.getElementById("nav").hidden = false;
  document.getElementById("nav-admin").hidden = !state.me.is_admin;
  connectLive();
  await route();
}

document.getElementById("logout").addEventListener("click", async () => {
  await api("POST", "/auth/logout").catch(() => null);
  await fetch("/web/session", { method: "DELETE" });
  sessionStorage.removeItem("hd.refresh");
  state.access = state.refresh = state.me = null;
  state.socket?.close();
  document.getElementById("nav").hidden = true;
  location.hash = "";
  loginView();
});
window.addEventListener("hashchange", route);

(async () => {
  await loadStrings(navigator.language?.startsWith("ru") ? "ru" : "en");
  if (state.refresh && (await refresh())) await start();
  else loginView();
})();
