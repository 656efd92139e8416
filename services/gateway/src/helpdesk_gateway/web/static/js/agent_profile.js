// The profile #/profile (language, time zone, contacts, password, TOTP,
// notification preferences, API tokens, ZENLIX API keys) and the staff-only cards
// #/users/{id} and #/units/{id}.

import { state, t, h, show, api, problemText, addRoute, loadStrings, when } from "./core.js";
import { unitName, announce, labelled, languageSelect, newPasswordInputs, zoneList, detail } from "./agent_common.js";

const EVENTS = ["ticket.created", "ticket.forwarded", "ticket.taken", "ticket.released", "ticket.completed", "ticket.reopened", "ticket.commented", "sla.warning", "sla.breached", "portal.commented"];
const CHANNELS = ["popup", "email", "pushbullet"];

function section(title, ...body) { return h("section", { class: "card" }, h("h2", {}, title), ...body); }
function status() { return h("p", { role: "status", class: "status" }); }

function meForm() {
  const out = status();
  const me = state.me;
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      const patch = {};
      for (const k of ["full_name", "email", "phone", "language", "time_zone", "pushbullet"]) if ((d[k] ?? "") !== (me[k] ?? "")) patch[k] = d[k];
      if (!Object.keys(patch).length) { out.textContent = t("profile.nothing"); return; }
      // A new e-mail receives the password-reset links: it needs the current password.
      if ("email" in patch) patch.current_password = d.current_password;
      try {
        state.me = await api("PATCH", "/me", patch);
        if (patch.language) await loadStrings(state.me.language);
        await profileView();
        announce(t("profile.saved"));
        document.getElementById("profile-status")?.replaceChildren(t("profile.saved"));
      } catch (err) { out.textContent = err.status === 404 || err.status === 405 ? t("profile.not_available") : problemText(err); }
    },
  },
    labelled(t("profile.full_name"), h("input", { name: "full_name", required: true, maxlength: 200, value: me.full_name || "", autocomplete: "name" })),
    labelled(t("profile.email"), h("input", { name: "email", type: "email", maxlength: 254, value: me.email || "", autocomplete: "email" })),
    labelled(t("profile.password_for_email"), h("input", { name: "current_password", type: "password", autocomplete: "current-password" })),
    labelled(t("profile.phone"), h("input", { name: "phone", type: "tel", maxlength: 50, value: me.phone || "", autocomplete: "tel" })),
    labelled(t("profile.language"), languageSelect(me.language)),
    labelled(t("profile.time_zone"), h("input", { name: "time_zone", list: "zones", maxlength: 64, value: me.time_zone || "" })), zoneList("zones"),
    labelled(t("profile.pushbullet"), h("input", { name: "pushbullet", maxlength: 200, value: me.pushbullet || "" })),
    h("button", { type: "submit" }, t("profile.save")), out);
  return section(t("profile.about"), h("p", { id: "profile-status", role: "status", class: "status" }), form);
}

function passwordForm() {
  const out = status();
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      if (d.new_password !== d.repeat) { out.textContent = t("profile.password_mismatch"); return; }
      try {
        await api("POST", "/me/password", { current_password: d.current_password, new_password: d.new_password });
        form.reset(); out.textContent = t("profile.password_changed");
      } catch (err) { out.textContent = err.status === 404 || err.status === 405 ? t("profile.not_available") : problemText(err); }
    },
  },
    labelled(t("profile.current_password"), h("input", { name: "current_password", type: "password", required: true, autocomplete: "current-password" })),
    newPasswordInputs(),
    h("button", { type: "submit" }, t("profile.change_password")), out);
  return section(t("profile.password"), form);
}

function totpSection() {
  const out = status();
  const box = h("div", {});
  // withPassword: the form also asks for the current password (turning the factor off).
  const codeForm = (label, onCode, withPassword = false) => {
    const f = h("form", {
      class: "inline",
      onsubmit: async (e) => { e.preventDefault(); const d = new FormData(f); try { await onCode(d.get("code"), d.get("current_password") ?? ""); } catch (err) { out.textContent = problemText(err); } },
    }, labelled(t("profile.totp_code"), h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: 6, required: true })),
    withPassword ? labelled(t("profile.current_password"), h("input", { name: "current_password", type: "password", required: true, autocomplete: "current-password" })) : null,
    h("button", { type: "submit" }, label));
    return f;
  };
  const setup = h("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      try {
        const s = await api("POST", "/me/totp");
        box.replaceChildren(
          h("p", {}, t("profile.totp_scan")),
          h("p", {}, t("profile.totp_secret"), " ", h("code", { class: "secret" }, s.secret)),
          h("p", {}, t("profile.totp_uri"), " ", h("code", { class: "secret" }, s.provisioning_uri)),
          codeForm(t("profile.totp_confirm"), async (code) => {
            const r = await api("POST", "/me/totp/confirm", { code });
            out.textContent = r.enabled ? t("profile.totp_on") : t("profile.totp_wrong");
            if (r.enabled) box.replaceChildren();
          }));
      } catch (err) { out.textContent = problemText(err); }
    },
  }, t("profile.totp_setup"));
  const disable = codeForm(t("profile.totp_disable"), async (code, password) => {
    const r = await api("DELETE", "/me/totp", { code, current_password: password });
    out.textContent = r.enabled ? t("profile.totp_wrong") : t("profile.totp_off");
  }, true);
  return section(t("profile.totp"), h("p", { class: "muted" }, t("profile.totp_help")), setup, box,
    h("details", {}, h("summary", {}, t("profile.totp_disable")), disable), out);
}

async function preferencesSection() {
  const out = status();
  let prefs;
  try { prefs = await api("GET", "/me/notification-settings"); } catch (err) { return section(t("profile.notifications"), h("p", { class: "error" }, problemText(err))); }
  const events = Object.keys(prefs.events || {}).length ? Object.keys(prefs.events) : EVENTS;
  const form = h("form", {
    onsubmit: async (e) => {
      e.preventDefault();
      const d = new FormData(form);
      const body = { events: Object.fromEntries(events.map((ev) => [ev, CHANNELS.filter((c) => d.get(`${ev}|${c}`))])) };
      try { await api("PATCH", "/me/notification-settings", body); out.textContent = t("profile.saved"); } catch (err) { out.textContent = problemText(err); }
    },
  },
    h("div", { class: "table-wrap" }, h("table", { class: "prefs" },
      h("caption", { class: "sr-only" }, t("profile.notifications")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("profile.event")), CHANNELS.map((c) => h("th", { scope: "col" }, t(`channel.${c}`))))),
      h("tbody", {}, events.map((ev) => h("tr", {}, h("th", { scope: "row" }, t(`event.${ev}`)),
        CHANNELS.map((c) => {
          const on = prefs.events?.[ev] ? prefs.events[ev].includes(c) : true;
          return h("td", {}, h("input", { type: "checkbox", name: `${ev}|${c}`, checked: on, "aria-label": `${t(`event.${ev}`)} — ${t(`channel.${c}`)}` }));
        })))))),
    h("button", { type: "submit" }, t("profile.save")), out);
  return section(t("profile.notifications"), form);
}

async function tokensSection() {
  const out = status();
  const list = h("ul", { class: "tokens" });
  const load = async () => {
    const items = (await api("GET", "/me/tokens")).items;
    list.replaceChildren(...items.map((tok) => h("li", {}, h("strong", {}, tok.name), " ",
      h("span", { class: "muted" }, [t("profile.token_created", { at: when(tok.created_at) }), tok.expires_at ? t("profile.token_expires", { at: when(tok.expires_at) }) : ""].join(" ")), " ",
      h("button", { type: "button", class: "secondary", onclick: async () => { await api("DELETE", `/me/tokens/${tok.id}`); out.textContent = t("profile.token_revoked"); await load(); } }, t("profile.token_revoke")))));
    if (!items.length) list.append(h("li", { class: "muted" }, t("profile.no_tokens")));
  };
  const form = h("form", {
    class: "inline",
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      try {
        const tok = await api("POST", "/me/tokens", { name: d.name, expires_in: Number(d.days || 0) * 86400 });
        out.replaceChildren(t("profile.token_once"), " ", h("code", { class: "secret" }, tok.token));
        form.reset(); await load();
      } catch (err) { out.textContent = problemText(err); }
    },
  },
    labelled(t("profile.token_name"), h("input", { name: "name", required: true, maxlength: 100 })),
    labelled(t("profile.token_days"), h("input", { name: "days", type: "number", min: 0, max: 3650, value: 0 })),
    h("button", { type: "submit" }, t("profile.token_create")));
  try { await load(); } catch (err) { list.replaceChildren(h("li", { class: "error" }, problemText(err))); }
  return section(t("profile.tokens"), list, form, out);
}

// Keys for what was written for ZENLIX 2 (its JSON API at /api): shown once, revocable.
async function zenlixKeysSection() {
  const out = status();
  const list = h("ul", { class: "keys" });
  const load = async () => {
    const items = (await api("GET", "/me/zenlix-keys")).items;
    list.replaceChildren(...items.map((key) => h("li", {}, h("strong", {}, key.name), " ",
      h("span", { class: "muted" }, [t("profile.token_created", { at: when(key.created_at) }), key.last_used_at ? t("profile.zenlix_key_used", { at: when(key.last_used_at) }) : ""].join(" ")), " ",
      h("button", { type: "button", class: "secondary", onclick: async () => { await api("DELETE", `/me/zenlix-keys/${key.id}`); out.textContent = t("profile.token_revoked"); await load(); } }, t("profile.token_revoke")))));
    if (!items.length) list.append(h("li", { class: "muted" }, t("profile.no_zenlix_keys")));
  };
  const form = h("form", {
    class: "inline",
    onsubmit: async (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      try {
        const key = await api("POST", "/me/zenlix-keys", { name: d.name });
        out.replaceChildren(t("profile.token_once"), " ", h("code", { class: "secret" }, key.key));
        form.reset(); await load();
      } catch (err) { out.textContent = problemText(err); }
    },
  },
    labelled(t("profile.zenlix_key_name"), h("input", { name: "name", required: true, maxlength: 100 })),
    h("button", { type: "submit" }, t("profile.zenlix_key_create")));
  try { await load(); } catch (err) { list.replaceChildren(h("li", { class: "error" }, problemText(err))); }
  return section(t("profile.zenlix_keys"), h("p", { class: "muted" }, t("profile.zenlix_help")), list, form, out);
}

async function profileView() {
  const [prefs, tokens, keys] = await Promise.all([preferencesSection(), tokensSection(), zenlixKeysSection()]);
  show(h("h1", {}, t("profile.title")), meForm(), passwordForm(), totpSection(), prefs, tokens, keys);
}

async function userView(id) {
  const u = await api("GET", `/users/${id}`);
  const [unitNames, positions] = await Promise.all([
    Promise.all(u.unit_ids.map(async (uid) => h("a", { href: `#/units/${uid}` }, await unitName(uid)))),
    api("GET", "/positions").then((r) => r.items).catch(() => []),
  ]);
  const position = positions.find((p) => p.id === u.position_id);
  show(h("h1", {}, u.full_name),
    h("dl", { class: "fields" },
      detail(t("user.login"), u.login),
      detail(t("user.kind"), t(`kind.${u.kind}`), u.role ? ` · ${t(`role.${u.role}`)}` : ""),
      detail(t("user.position"), position ? position.name : "—"),
      detail(t("user.units"), unitNames.length ? unitNames.flatMap((a, i) => (i ? [", ", a] : [a])) : "—"),
      detail(t("profile.email"), u.email ? h("a", { href: `mailto:${u.email}` }, u.email) : "—"),
      detail(t("profile.phone"), u.phone ? h("a", { href: `tel:${u.phone}` }, u.phone) : "—"),
      detail(t("user.status"), t(`status.${u.status}`))));
}

async function unitView(id) {
  const [name, members] = await Promise.all([unitName(id), api("GET", `/units/${id}/members`)]);
  show(h("h1", {}, name),
    h("h2", {}, t("unit.members")),
    members.items.length
      ? h("ul", { class: "members" }, members.items.map((m) => h("li", {}, h("a", { href: `#/users/${m.id}` }, m.full_name), m.role ? h("span", { class: "muted" }, ` · ${t(`role.${m.role}`)}`) : "")))
      : h("p", { class: "muted" }, t("ticket.no_members")),
    h("p", {}, h("a", { href: `#/tickets?box=inbox&unit_id=${id}` }, t("unit.tickets"))));
}

addRoute(/^\/profile$/, profileView);
addRoute(/^\/users\/(\d+)$/, userView, { staff: true });
addRoute(/^\/units\/(\d+)$/, unitView, { staff: true });
