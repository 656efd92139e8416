// Helpdesk web interface: a hash-routed page built only on the public REST API.
// Text is always set with textContent (never innerHTML), so nothing a user typed
// can become markup; tokens live in memory and sessionStorage, never in URLs.

const state = { access: null, refresh: sessionStorage.getItem("hd.refresh"), me: null, strings: {}, socket: null };

// ---- i18n ---------------------------------------------------------------------------
async function loadStrings(lang) {
  const res = await fetch(`/static/i18n/${lang === "ru" ? "ru" : "en"}.json`);
  state.strings = await res.json();
  document.documentElement.lang = lang === "ru" ? "ru" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
function t(key, vars = {}) {
  let s = state.strings[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
  return s;
}

// ---- DOM ----------------------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
function show(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes.flat().filter((n) => n != null));
  main.focus();
}
function when(iso) {
  return iso ? new Date(iso).toLocaleString(document.documentElement.lang) : "";
}

// ---- API ----------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, problem) { super(problem.detail || problem.title || String(status)); this.status = status; this.problem = problem; }
}
async function api(method, path, body) {
  const send = () => fetch(`/api/v1${path}`, {
    method,
    headers: { ...(state.access ? { Authorization: `Bearer ${state.access}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  let res = await send();
  if (res.status === 401 && state.refresh && path !== "/auth/refresh" && (await refresh())) res = await send();
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
async function refresh() {
  try {
    const res = await fetch("/api/v1/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: state.refresh }) });
    if (!res.ok) return false;
    remember(await res.json());
    return true;
  } catch { return false; }
}
function remember(tokens) {
  state.access = tokens.access_token;
  if (tokens.refresh_token) { state.refresh = tokens.refresh_token; sessionStorage.setItem("hd.refresh", state.refresh); }
}
function problemText(err) {
  const fields = (err.problem?.errors || []).map((e) => `${e.field}: ${e.message}`);
  return [err.message, ...fields].join(" — ");
}

// ---- live ---------------------------------------------------------------------------
let blink = null;
function toast(title, body, href) {
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
    if (msg.type === "notification") {
      toast(msg.title, msg.body, msg.ticket_id ? `#/tickets/${msg.ticket_id}` : null);
      if (location.hash === "" || location.hash === "#/") route();
    } else if (msg.type === "ticket.updated" && location.hash === `#/tickets/${msg.ticket_id}`) {
      route();
    }
  });
  ws.addEventListener("close", () => { if (state.socket === ws && state.access) setTimeout(connectLive, 3000); });
}

// ---- views --------------------------------------------------------------------------
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

async function dashboardView() {
  const [notes, inbox] = await Promise.all([
    api("GET", "/me/notifications?limit=20"),
    api("GET", "/tickets?box=inbox&limit=20").catch(() => null),
  ]);
  const list = inbox ? h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, t("ticket.subject")), h("th", {}, t("ticket.state")), h("th", {}, t("ticket.created")))),
    h("tbody", {}, inbox.items.map((tk) => h("tr", {},
      h("td", {}, h("a", { href: `#/tickets/${tk.id}` }, `#${tk.number}`)), h("td", {}, tk.subject),
      h("td", {}, t(`state.${tk.state}`)), h("td", {}, when(tk.created_at)))))) : null;
  show(
    h("h1", {}, t("dashboard.title", { name: state.me.full_name })),
    list ? [h("h2", {}, t("dashboard.inbox")), list] : null,
    h("h2", {}, t("dashboard.notifications")),
    notes.items.length
      ? h("ul", { id: "notifications" }, notes.items.map((n) => h("li", {}, n.ticket_id ? h("a", { href: `#/tickets/${n.ticket_id}` }, n.title) : n.title, " — ", n.body, " ", h("span", { class: "muted" }, when(n.created_at)))))
      : h("p", { class: "muted" }, t("dashboard.none")),
  );
}

async function newTicketView() {
  const units = (await api("GET", "/units")).items;
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      try {
        const tk = await api("POST", "/tickets", { subject: d.subject, body: d.body, priority: d.priority, unit_id: Number(d.unit_id) });
        location.hash = `#/tickets/${tk.id}`;
      } catch (err) { error.textContent = problemText(err); }
    },
  },
    h("label", {}, t("ticket.unit"), h("select", { name: "unit_id", required: true }, units.map((u) => h("option", { value: u.id }, u.name)))),
    h("label", {}, t("ticket.subject"), h("input", { name: "subject", required: true, maxlength: 255 })),
    h("label", {}, t("ticket.body"), h("textarea", { name: "body" })),
    h("label", {}, t("ticket.priority"), h("select", { name: "priority" }, ["low", "normal", "high"].map((p) => h("option", { value: p, selected: p === "normal" }, t(`priority.${p}`))))),
    h("button", { type: "submit" }, t("ticket.create")), error);
  show(h("h1", {}, t("nav.new_ticket")), form);
}

async function ticketView(id) {
  const tk = await api("GET", `/tickets/${id}`);
  const error = h("p", { class: "error", role: "alert" });
  const act = async (action) => {
    try { await api("POST", `/tickets/${id}/${action}`); await route(); } catch (err) { error.textContent = problemText(err); }
  };
  show(
    h("h1", {}, `#${tk.number} ${tk.subject}`),
    h("p", {}, h("span", { class: "state" }, t(`state.${tk.state}`)), " ", t(`priority.${tk.priority}`), " · ", when(tk.created_at)),
    h("p", { class: "body" }, tk.body),
    h("div", { class: "actions" }, tk.allowed_actions.filter((a) => ["lock", "unlock", "complete", "reopen"].includes(a))
      .map((a) => h("button", { type: "button", class: "secondary", onclick: () => act(a) }, t(`action.${a}`)))),
    error,
  );
}

function adminView() {
  const out = h("p", { role: "status" });
  const unitForm = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      try { const u = await api("POST", "/units", Object.fromEntries(new FormData(unitForm))); out.textContent = t("admin.unit_created", { name: u.name }); unitForm.reset(); }
      catch (err) { out.textContent = problemText(err); }
    },
  }, h("label", {}, t("admin.unit_name"), h("input", { name: "name", required: true })), h("button", { type: "submit" }, t("admin.create_unit")));
  show(h("h1", {}, t("nav.admin")), h("h2", {}, t("admin.units")), unitForm, out);
}

// ---- routing ------------------------------------------------------------------------
async function route() {
  if (!state.access) return loginView();
  const path = location.hash.replace(/^#/, "") || "/";
  try {
    const m = path.match(/^\/tickets\/(\d+)$/);
    if (m) return await ticketView(m[1]);
    if (path === "/tickets/new") return await newTicketView();
    if (path === "/admin" && state.me.is_admin) return adminView();
    return await dashboardView();
  } catch (err) {
    show(h("h1", {}, t("error.title")), h("p", { class: "error" }, err.status === 404 ? t("error.not_found") : problemText(err)));
  }
}

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
