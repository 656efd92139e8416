// Helpdesk web interface: boot, sign-in (with the TOTP second factor), the pages
// reached from mailed links (#/auth/confirm, #/auth/reset) and the signed-out forms
// (forgot password, client registration), the live socket and the hash router.
// Views are registered by js/agent.js (agents and clients), js/admin.js (admin area) and
// js/portal.js (the public portal: its pages answer signed-out visitors too).

import { state, t, h, show, api, remember, refresh, problemText, loadStrings, emitLive, findRoute, leave } from "./js/core.js";
import { labelled, languageSelect, newPasswordInputs, notificationTitle } from "./js/agent_common.js";
import "./js/agent.js";
import "./js/admin.js";
import { loadPortal } from "./js/portal.js";

// ---- live ---------------------------------------------------------------------------
let blink = null;
export function toast(title, body, href) {
  const box = h("div", { class: "toast" }, h("strong", {}, title), h("div", {}, body), href ? h("a", { href }, t("open")) : null,
    h("button", { type: "button", class: "toast-close", "aria-label": t("close"), onclick: () => box.remove() }, "×"));
  document.getElementById("toasts").append(box);
  setTimeout(() => box.remove(), 8000);
  if (document.hidden && !blink) {
    const original = document.title;
    blink = setInterval(() => { document.title = document.title === original ? `• ${title}` : original; }, 1000);
    document.addEventListener("visibilitychange", () => { clearInterval(blink); blink = null; document.title = original; }, { once: true });
  }
}
let lastEventId = null;
async function connectLive() {
  // The socket cannot send a header: the gateway puts the token in a /ws-only HttpOnly cookie.
  await fetch("/web/session", { method: "POST", headers: { Authorization: `Bearer ${state.access}` } }).catch(() => null);
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws${lastEventId != null ? `?resume_from=${lastEventId}` : ""}`;
  const ws = new WebSocket(url);
  state.socket = ws;
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(e.data);
    if (Number.isInteger(msg.event_id)) lastEventId = msg.event_id;
    if (msg.type === "notification") toast(notificationTitle(msg), msg.body, msg.ticket_id ? `#/tickets/${msg.ticket_id}` : null);
    emitLive(msg);
  });
  ws.addEventListener("open", () => emitLive({ type: "open" }));
  ws.addEventListener("close", async () => {
    if (state.socket !== ws || !state.access) return;
    // An expired access token closes the socket: refresh it, then reconnect.
    setTimeout(async () => { if (state.socket === ws && state.access) { await refresh(); connectLive(); } }, 3000);
  });
}

// ---- signed-out pages ---------------------------------------------------------------
function authLinks() {
  return h("p", { class: "auth-links" },
    h("a", { href: "#/auth/forgot" }, t("login.forgot")), " · ", h("a", { href: "#/auth/register" }, t("login.register")));
}
function loginView() {
  const error = h("p", { class: "error", role: "alert" });
  const hint = h("p", { class: "muted", id: "totp-hint", hidden: true }, t("login.totp_hint"));
  const totp = h("label", { hidden: true }, t("login.totp"),
    h("input", { name: "totp", inputmode: "numeric", autocomplete: "one-time-code", maxlength: 8, "aria-describedby": "totp-hint" }));
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      if (!data.totp) delete data.totp;
      try {
        remember(await api("POST", "/auth/login", data));
        await start();
      } catch (err) {
        // After the right password, identity asks for the one-time code with a 401
        // whose errors name "totp"; any other 401 is a wrong login or password.
        const code = (err.problem?.errors || []).find((f) => f.field === "totp");
        if (err.status === 401 && code) {
          totp.hidden = false; hint.hidden = false;
          error.textContent = code.message === "required" ? t("login.totp_needed") : t("login.totp_wrong");
          totp.querySelector("input").focus();
        } else if (err.status === 401) error.textContent = t("login.wrong");
        else error.textContent = err.status === 429 ? t("login.slow_down") : problemText(err);
      }
    },
  },
    labelled(t("login.login"), h("input", { name: "login", autocomplete: "username", required: true })),
    labelled(t("login.password"), h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
    totp, hint,
    h("button", { type: "submit" }, t("login.submit")), error);
  show(h("h1", {}, t("login.title")), form, authLinks(),
    state.portal ? h("p", {}, h("a", { href: "#/portal" }, t("portal.visit"))) : null);
}
function simpleForm(title, intro, fields, submitLabel, onSubmit) {
  const out = h("p", { role: "status", class: "status" });
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      try { out.textContent = await onSubmit(Object.fromEntries(new FormData(form)), form); } catch (err) { out.textContent = problemText(err); }
    },
  }, fields, h("button", { type: "submit" }, submitLabel), out);
  show(h("h1", {}, title), intro ? h("p", {}, intro) : null, form, h("p", {}, h("a", { href: "#/" }, t("login.back"))));
}
// The one-time token from a mailed link: read once, then dropped from the address bar.
function oneTimeToken(query) {
  const token = new URLSearchParams(query || "").get("token") || "";
  history.replaceState(null, "", `/#${location.hash.replace(/^#/, "").split("?")[0]}`);
  return token;
}
function forgotView() {
  simpleForm(t("forgot.title"), t("forgot.intro"),
    [labelled(t("forgot.who"), h("input", { name: "login_or_email", required: true, autocomplete: "username" }))],
    t("forgot.submit"), async (d, form) => { await api("POST", "/auth/password-reset", d); form.reset(); return t("forgot.sent"); });
}
function resetView(query) {
  const token = oneTimeToken(query);
  simpleForm(t("reset.title"), null,
    newPasswordInputs(),
    t("reset.submit"), async (d, form) => {
      if (d.new_password !== d.repeat) return t("profile.password_mismatch");
      await api("POST", "/auth/password-reset/confirm", { token, new_password: d.new_password });
      form.hidden = true;
      return t("reset.done");
    });
}
function registerView() {
  simpleForm(t("register.title"), t("register.intro"), [
    labelled(t("profile.full_name"), h("input", { name: "full_name", required: true, maxlength: 200, autocomplete: "name" })),
    labelled(t("profile.email"), h("input", { name: "email", type: "email", required: true, maxlength: 254, autocomplete: "email" })),
    labelled(t("login.password"), h("input", { name: "password", type: "password", minlength: 8, required: true, autocomplete: "new-password" })),
    labelled(t("profile.language"), languageSelect(document.documentElement.lang)),
  ], t("register.submit"), async (d, form) => {
    try { await api("POST", "/auth/register", d); } catch (err) { if (err.status === 403) return t("register.off"); throw err; }
    form.hidden = true;
    return t("register.sent");
  });
}
async function confirmView(query) {
  const token = oneTimeToken(query);
  show(h("h1", {}, t("confirm.title")), h("p", { role: "status" }, "…"));
  try {
    await api("POST", "/auth/register/confirm", { token });
    show(h("h1", {}, t("confirm.title")), h("p", { role: "status" }, t("confirm.done")), h("p", {}, h("a", { href: "#/" }, t("login.submit"))));
  } catch (err) {
    show(h("h1", {}, t("confirm.title")), h("p", { class: "error", role: "alert" }, problemText(err)), h("p", {}, h("a", { href: "#/" }, t("login.back"))));
  }
}
const PUBLIC = [
  [/^\/auth\/forgot$/, forgotView],
  [/^\/auth\/reset(?:\?(.*))?$/, resetView],
  [/^\/auth\/register$/, registerView],
  [/^\/auth\/confirm(?:\?(.*))?$/, confirmView],
];

// ---- routing ------------------------------------------------------------------------
function markNav(path) {
  for (const a of document.querySelectorAll("#nav a")) {
    const target = a.getAttribute("href").replace(/^#/, "");
    const current = target === "/" ? path === "/" : path === target || (target.includes("?") && path === target);
    if (current) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}
// Each navigation gets a number. A view still loading when the user moves on must not
// spoil the newer page: its late error is dropped, and if it drew over the newer page
// after that one was drawn, the newer page is drawn again. (Views that draw first and
// then load, like the dashboard, finish late without drawing: nothing is redrawn, so
// what the user is typing on the newer page stays.)
let navigation = 0;
let drawn = 0;
let drawnPage = null;
const mainNode = () => document.getElementById("main");
async function stale(mine) {
  if (mine === navigation) return false;
  if (drawn === navigation && mainNode().firstChild !== drawnPage) await route();
  return true;
}
function markDrawn(mine) {
  drawn = mine;
  drawnPage = mainNode().firstChild;
}
async function route() {
  const mine = ++navigation;
  leave();
  const path = location.hash.replace(/^#/, "") || "/";
  for (const [pattern, view] of PUBLIC) {
    const m = path.match(pattern);
    if (m && (!state.access || pattern.source.includes("confirm"))) return view(...m.slice(1));
  }
  const found = findRoute(path);
  // Signed out, only the public pages (the portal's) are open; the rest asks to sign in.
  if (!state.access && !found?.route.public) return loginView();
  markNav(path);
  try {
    const me = state.me;
    const allowed = found && (!found.route.admin || me?.is_admin) && (!found.route.staff || (me && me.kind !== "client"));
    if (!allowed) {
      show(h("h1", {}, t("error.title")), h("p", { class: "error" }, t("error.not_found")));
      markDrawn(mine);
      return;
    }
    await found.route.view(...found.args);
    if (await stale(mine)) return;
    const flash = sessionStorage.getItem("hd.flash");
    if (flash) { sessionStorage.removeItem("hd.flash"); toast(t("error.title"), flash); }
    const notice = sessionStorage.getItem("hd.notice");
    if (notice) {
      sessionStorage.removeItem("hd.notice");
      document.getElementById("main").prepend(h("p", { class: "notice", role: "status" }, notice));
    }
    markDrawn(mine);
  } catch (err) {
    if (await stale(mine)) return;
    show(h("h1", {}, t("error.title")), h("p", { class: "error" }, err.status === 404 || err.status === 403 ? t("error.not_found") : problemText(err)));
    markDrawn(mine);
  }
}
export { route };

function setNav() {
  const client = state.me.kind === "client";
  document.getElementById("nav").hidden = false;
  document.getElementById("public-nav").hidden = true;
  document.getElementById("nav-portal").hidden = !state.portal;
  document.getElementById("nav-admin").hidden = !state.me.is_admin;
  // Reports are for heads and admins (the server checks again).
  document.getElementById("nav-reports").hidden = !(state.me.is_admin || ["department_head", "unit_head"].includes(state.me.role));
  for (const el of document.querySelectorAll("[data-staff]")) el.hidden = client;
  for (const el of document.querySelectorAll("[data-client]")) el.hidden = !client;
}
async function start() {
  state.me = await api("GET", "/me");
  await loadStrings(state.me.language);
  setNav();
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
  document.getElementById("public-nav").hidden = !state.portal;
  location.hash = "";
  loginView();
});
window.addEventListener("hashchange", route);

(async () => {
  // Mailed links point at paths (/auth/confirm?token=…, /auth/reset?token=…, /tickets/N,
  // /portal/posts/N): when the gateway serves this page there, they become hash routes.
  if (/^\/(auth\/(confirm|reset)|tickets\/\d+|portal(\/.*)?)$/.test(location.pathname)) history.replaceState(null, "", `/#${location.pathname}${location.search}`);
  await Promise.all([loadStrings(navigator.language?.startsWith("ru") ? "ru" : "en"), loadPortal()]);
  document.getElementById("public-nav").hidden = !state.portal;
  if (state.refresh && (await refresh())) await start();
  else await route();
})();
