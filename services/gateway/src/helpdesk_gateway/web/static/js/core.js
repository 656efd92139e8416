// The shared core of the web interface: state, translations, DOM building, the REST
// client, live events and the route table. Views live in their own modules
// (agent.js, admin.js) and register their routes here.
//
// Rules every module keeps: text is set with textContent (h() never parses markup);
// tokens live in memory (access) and sessionStorage (refresh), never in URLs.

export const state = { access: null, refresh: sessionStorage.getItem("hd.refresh"), me: null, strings: {}, socket: null };

// ---- i18n -------------------------------------------------------------------------
// Each module has its own dictionary file: i18n/<lang>.json (core and agent pages),
// i18n/admin.<lang>.json (admin area) and i18n/portal.<lang>.json (the public portal and
// its admin pages). Missing keys show the key itself.
const DICTIONARIES = ["", "admin.", "portal."];
export async function loadStrings(lang) {
  const code = lang === "ru" ? "ru" : "en";
  const parts = await Promise.all(
    DICTIONARIES.map((prefix) => fetch(`/static/i18n/${prefix}${code}.json`).then((r) => (r.ok ? r.json() : {})).catch(() => ({}))),
  );
  state.strings = Object.assign({}, ...parts);
  document.documentElement.lang = code;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
}
export function t(key, vars = {}) {
  let s = state.strings[key] ?? key;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}
// The translation of `key`, or null when the dictionary has none (then the caller
// falls back to what the server said).
export function tr(key, vars = {}) { return key in state.strings ? t(key, vars) : null; }
// Bytes as people read them, in the page's language: "10 MB", "512 KB".
export function formatSize(n) {
  const units = [["unit.gb", 1 << 30], ["unit.mb", 1 << 20], ["unit.kb", 1 << 10]];
  for (const [key, size] of units) if (n >= size) return `${Number((n / size).toFixed(1)).toLocaleString(document.documentElement.lang)} ${t(key)}`;
  return `${n} ${t("unit.b")}`;
}

// ---- DOM --------------------------------------------------------------------------
// h("a", {href: "#/x", onclick: fn}, "text", child, [more]) — attributes starting
// with "on" become listeners; false/null attributes are left out; nested arrays of
// children are flattened at any depth (a list of field groups inside a form's list).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) if (c != null && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
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
// One refresh at a time: a refresh token is spent by its use, and the same one sent twice
// (several requests finding the access token expired at once) ends the whole session.
let refreshing = null;
export function refresh() {
  refreshing ??= (async () => {
    try {
      const res = await fetch("/api/v1/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: state.refresh }) });
      if (!res.ok) return false;
      remember(await res.json());
      return true;
    } catch { return false; } finally { refreshing = null; }
  })();
  return refreshing;
}
export function remember(tokens) {
  state.access = tokens.access_token;
  if (tokens.refresh_token) { state.refresh = tokens.refresh_token; sessionStorage.setItem("hd.refresh", state.refresh); }
}
// A problem in the user's language: the server's stable `code` (and each field error's
// `code` with its `params`) translated; what has no translation keeps the server's words.
export function problemText(err, errors = err.problem?.errors || []) {
  const code = err.problem?.code;
  const head = (code && tr(`error.code.${code}`)) || err.message;
  return [head, ...errors.map(fieldErrorText)].join(" — ");
}
// "Subject: must not be empty" — the field's name and the message, translated when known.
export function fieldErrorText(e, withField = true) {
  const params = { ...(e.params || {}) };
  for (const k of ["max_bytes"]) if (params[k] != null) params[k] = formatSize(params[k]);
  const message = (e.code && tr(`error.field.${e.code}`, params)) || e.message;
  if (!withField) return message;
  const name = tr(`field.${e.field}`) || e.field;
  return `${name}: ${message}`;
}
// Puts each field error of a problem next to its control in `form` (name = the field,
// custom fields cf_<id>, "file" the file input); returns the errors it could not place.
export function showFieldErrors(form, err) {
  for (const old of form.querySelectorAll(".field-error")) old.remove();
  for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
  const left = [];
  for (const e of err?.problem?.errors || []) {
    const name = e.field.startsWith("custom_fields.") ? `cf_${e.field.slice(14)}` : e.field;
    const control = form.querySelector(`[name="${CSS.escape(name)}"]`) || (name === "file" || name === "files" ? form.querySelector("input[type=file]") : null);
    if (!control) { left.push(e); continue; }
    control.setAttribute("aria-invalid", "true");
    const note = h("span", { class: "field-error", role: "alert" }, fieldErrorText(e, false));
    control.after(note);
  }
  return left;
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
// route(/^\/tickets\/(\d+)$/, (id) => view, { admin: false, staff: false, public: false })
// (public: shown to visitors who are not signed in too — the portal's pages)
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

// ---- helpers shared by the agent pages (added; the exports above keep their signatures) ----
// debounce(fn, ms) — calls fn once, ms after the last call.
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
// Server-sanitised HTML (comments, Markdown preview) into a fresh element: parsed
// inert by DOMParser, then scripts, styles, frames and on* / javascript: attributes
// are removed again, just in case. The only place markup from the API is inserted.
export function safeHtml(html, tag = "div", attrs = {}) {
  const doc = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
  for (const bad of doc.body.querySelectorAll("script,style,iframe,object,embed,link,meta,base,form")) bad.remove();
  for (const el of doc.body.querySelectorAll("*")) {
    for (const a of [...el.attributes]) {
      const v = a.value.trim().toLowerCase();
      if (a.name.startsWith("on") || a.name === "style" || ((a.name === "href" || a.name === "src") && (v.startsWith("javascript:") || v.startsWith("data:text")))) el.removeAttribute(a.name);
    }
    if (el.tagName === "A") { el.setAttribute("rel", "noopener noreferrer"); el.setAttribute("target", "_blank"); }
  }
  const box = h(tag, attrs);
  box.append(...doc.body.childNodes);
  return box;
}
// Downloads /api/v1<path> with the bearer header (none for an anonymous portal reader)
// and saves it under `filename` (blob → object URL → a[download]); the token never
// appears in a URL.
export async function download(path, filename) {
  const res = await fetch(`/api/v1${path}`, { headers: state.access ? { Authorization: `Bearer ${state.access}` } : {} });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const url = URL.createObjectURL(await res.blob());
  const a = h("a", { href: url, download: filename || "file" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
// Uploads one File as multipart field "file"; returns the attachment.
export function upload(path, file) {
  const form = new FormData();
  form.append("file", file, file.name);
  return api("POST", path, form);
}
// datetime-local values are in the user's time zone (profile), else the browser's.
export const userZone = () => state.me?.time_zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
// Minutes east of UTC of `zone` at the instant `ms`.
function zoneOffset(ms, zone) {
  try {
    const p = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return Math.round((Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second) - ms) / 60000);
  } catch { return -new Date(ms).getTimezoneOffset(); }
}
const pad2 = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
// A datetime-local value ("2026-11-28T10:30") → RFC 3339 with the user's offset then.
export function localToIso(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  const zone = userZone();
  let off = zoneOffset(wall, zone);
  off = zoneOffset(wall - off * 60000, zone);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${off >= 0 ? "+" : "-"}${pad2(off / 60)}:${pad2(off % 60)}`;
}
// An RFC 3339 time → the datetime-local value in the user's time zone.
export function isoToLocal(iso) {
  if (!iso) return "";
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return "";
  const d = new Date(ms + zoneOffset(ms, userZone()) * 60000);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}
// Seconds → "1d 02:03:04" (negative: "-…").
export function duration(seconds) {
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  const pad = (n) => String(n).padStart(2, "0");
  return `${sign}${d ? `${d}${t("unit.day")} ` : ""}${pad(hh)}:${pad(mm)}:${pad(s)}`;
}
// Display names of users by id: the ticket's `names` map first, then (staff only)
// GET /users/{id}, cached; "#id" when unknown or not visible.
const nameCache = new Map();
export function rememberNames(names) { for (const [id, n] of Object.entries(names || {})) if (n) nameCache.set(String(id), n); }
export async function userName(id) {
  if (id == null) return "";
  const key = String(id);
  if (nameCache.has(key)) return nameCache.get(key);
  if (state.me && String(state.me.id) === key) return state.me.full_name;
  if (state.me?.kind === "client") return `#${key}`;
  try { const u = await api("GET", `/users/${key}`); nameCache.set(key, u.full_name); return u.full_name; }
  catch { nameCache.set(key, `#${key}`); return `#${key}`; }
}
// The name already known for a user id (no request), or null.
export function knownName(id) { return nameCache.get(String(id)) ?? null; }
export const isStaff = () => state.me?.kind !== "client";
