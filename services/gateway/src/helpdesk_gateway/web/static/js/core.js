// The shared core of the web interface: state, translations, DOM building, the REST
// client, live events and the route table. Views live in their own modules
// (agent.js, admin.js) and register their routes here.
//
// Rules every module keeps: text is set with textContent (h() never parses markup);
// tokens live in memory (access) and sessionStorage (refresh), never in URLs.

export const state = { access: null, refresh: sessionStorage.getItem("hd.refresh"), me: null, strings: {}, socket: null };

// ---- i18n -------------------------------------------------------------------------
// Each module has its own dictionary file: i18n/<lang>.json (core and agent pages)
// and i18n/admin.<lang>.json (admin area). Missing keys show the key itself.
const DICTIONARIES = ["", "admin."];
export async function loadStrings(lang) {
  const code = lang === "ru" ? "ru" : "en";
  const parts = await Promise.all(
    DICTIONARIES.map((prefix) => fetch(`/static/i18n/${prefix}${code}.json`).then((r) => (r.ok ? r.json() : {})).catch(() => ({}))),
  );
  state.strings = Object.assign({}, ...parts);
  document.documentElement.lang = code;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
}
export function t(key, vars = {}) {
  let s = state.strings[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

// ---- DOM --------------------------------------------------------------------------
// h("a", {href: "#/x", onclick: fn}, "text", child, [more]) — attributes starting
// with "on" become listeners; false/null attributes are left out.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
export function show(...nodes) {
  const main = document.getElementById("main");
  main.replaceChildren(...nodes.flat().filter((n) => n != null && n !== false));
  main.focus();
}
// A date and time in the user's language and time zone (from the profile).
export function when(iso) {
  if (!iso) return "";
  const zone = state.me?.time_zone || undefined;
  try { return new Date(iso).toLocaleString(document.documentElement.lang, { timeZone: zone }); }
  catch { return new Date(iso).toLocaleString(document.documentElement.lang); }
}

// ---- API --------------------------------------------------------------------------
export class ApiError extends Error {
  constructor(status, problem) { super(problem.detail || problem.title || String(status)); this.status = status; this.problem = problem; }
}
async function send(method, path, body, headers = {}) {
  const isForm = body instanceof FormData;
  const go = () => fetch(`/api/v1${path}`, {
    method,
    headers: { ...(state.access ? { Authorization: `Bearer ${state.access}` } : {}), ...(body && !isForm ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body ? (isForm ? body : JSON.stringify(body)) : undefined,
  });
  let res = await go();
  if (res.status === 401 && state.refresh && path !== "/auth/refresh" && (await refresh())) res = await go();
  return res;
}
// api("GET", "/tickets?box=inbox") → parsed JSON (null for 204); throws ApiError.
export async function api(method, path, body, headers = {}) {
  const res = await send(method, path, body, headers);
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
// Like api() but also returns the response headers (for ETag).
export async function apiFull(method, path, body, headers = {}) {
  const res = await send(method, path, body, headers);
  const data = res.status === 204 ? null : await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, headers: res.headers };
}
export async function refresh() {
  try {
    const res = await fetch("/api/v1/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: state.refresh }) });
    if (!res.ok) return false;
    remember(await res.json());
    return true;
  } catch { return false; }
}
export function remember(tokens) {
  state.access = tokens.access_token;
  if (tokens.refresh_token) { state.refresh = tokens.refresh_token; sessionStorage.setItem("hd.refresh", state.refresh); }
}
export function problemText(err) {
  const fields = (err.problem?.errors || []).map((e) => `${e.field}: ${e.message}`);
  return [err.message, ...fields].join(" — ");
}

// ---- live -------------------------------------------------------------------------
const listeners = new Map();
// onLive("notification", (msg) => ...) — called for every socket message of that type
// ("*" for all). Returns a function that removes the listener.
export function onLive(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  return () => listeners.get(type).delete(fn);
}
export function emitLive(msg) {
  for (const key of [msg.type, "*"]) for (const fn of listeners.get(key) || []) { try { fn(msg); } catch (e) { console.warn(e); } }
}
export function sendLive(msg) {
  if (state.socket?.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(msg));
}

// ---- routes -----------------------------------------------------------------------
const routes = [];
// route(/^\/tickets\/(\d+)$/, (id) => view, { admin: false, staff: false })
export function addRoute(pattern, view, opts = {}) { routes.push({ pattern, view, ...opts }); }
export function findRoute(path) {
  for (const r of routes) {
    const m = path.match(r.pattern);
    if (m) return { route: r, args: m.slice(1) };
  }
  return null;
}
// Called before each view renders; views may register cleanups (e.g. presence).
const cleanups = [];
export function onLeave(fn) { cleanups.push(fn); }
export function leave() { while (cleanups.length) { try { cleanups.pop()(); } catch (e) { console.warn(e); } } }
