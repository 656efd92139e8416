// Admin pages for the SLA: plans (limits entered as d/h/m/s, sent as seconds),
// working calendars (time zone, weekly hours, holidays) and ticket subjects.

import { t, h, api, addRoute } from "./core.js";
import { select, options, zoneList, PRIORITIES } from "./agent_common.js";
import {
  adminPage, apiForm, nameForm, inlineEdit, field, statusLine, deleteButton, durationInputs, formatSeconds, table, WEEKDAYS,
} from "./admin_ui.js";

const KINDS = ["reaction", "work", "deadline"];

// ---- plans ------------------------------------------------------------------------

function planForm(plan, calendars, status, done) {
  const inputs = {};
  const grid = PRIORITIES.map((p) => h("fieldset", { class: "limits" }, h("legend", {}, t(`admin.priority.${p}`)),
    KINDS.map((k) => {
      const describe = t("admin.limit_of", { priority: t(`admin.priority.${p}`), kind: t(`admin.limit.${k}`) });
      inputs[`${p}.${k}`] = durationInputs(`${p}.${k}`, plan?.limits?.[p]?.[k], describe);
      return h("div", { class: "limit-row" }, h("span", { class: "limit-name" }, t(`admin.limit.${k}`)), inputs[`${p}.${k}`]);
    })));
  const name = h("input", { name: "name", required: true, maxlength: 200, value: plan?.name ?? "" });
  const calendar = select("calendar_id", [["", t("admin.no_calendar")], ...options(calendars)], plan?.calendar_id);
  const body = () => {
    const limits = {};
    for (const p of PRIORITIES) {
      limits[p] = {};
      for (const k of KINDS) limits[p][k] = inputs[`${p}.${k}`].seconds();
    }
    return { name: name.value.trim(), calendar_id: calendar.value ? Number(calendar.value) : null, limits };
  };
  return apiForm({ status, path: "/sla-plans", id: plan?.id, body, done, class: "admin-form wide" },
    field(t("admin.plan_name"), name),
    field(t("admin.calendar"), calendar, t("admin.calendar_hint")),
    h("p", { class: "muted" }, t("admin.limits_hint")),
    h("div", { class: "limits-grid" }, grid),
    h("div", { class: "actions" }, h("button", { type: "submit" }, plan ? t("admin.save") : t("admin.create_plan")),
      plan ? h("a", { href: "#/admin/sla" }, t("admin.back_to_list")) : null));
}

function limitsSummary(limits) {
  return h("ul", { class: "plain compact" }, PRIORITIES.map((p) => h("li", {},
    h("strong", {}, t(`admin.priority.${p}`)), ": ",
    KINDS.map((k) => `${t(`admin.limit.${k}`)} ${formatSeconds(limits[p][k])}`).join(" · "))));
}

async function plansView(flash) {
  const [plans, calendars] = await Promise.all([api("GET", "/sla-plans"), api("GET", "/calendars")]);
  const calName = new Map(calendars.items.map((c) => [c.id, c.name]));
  const status = statusLine(flash);
  const rows = plans.items.map((p) => [
    h("a", { href: `#/admin/sla/${p.id}` }, p.name),
    p.calendar_id ? calName.get(p.calendar_id) ?? `#${p.calendar_id}` : t("admin.around_the_clock"),
    limitsSummary(p.limits),
  ]);
  adminPage("sla", t("admin.sla_plans"),
    table([t("admin.name"), t("admin.calendar"), t("admin.limits")], rows),
    h("h2", {}, t("admin.new_plan")),
    planForm(null, calendars.items, status, (saved) => plansView(t("admin.plan_created", { name: saved.name }))),
    status);
}

async function planView(id) {
  const [plan, calendars] = await Promise.all([api("GET", `/sla-plans/${id}`), api("GET", "/calendars")]);
  const status = statusLine();
  adminPage("sla", t("admin.edit_plan", { name: plan.name }),
    planForm(plan, calendars.items, status, (saved) => status.ok(t("admin.plan_saved", { name: saved.name }))), status);
}

// ---- calendars --------------------------------------------------------------------

function hoursText(intervals) { return (intervals || []).map(([a, b]) => `${a}-${b}`).join(", "); }
function parseHours(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean).map((part) => {
    const [a, b] = part.split("-").map((x) => x.trim());
    return [a || "", b || ""];
  });
}
function holidaysText(list) {
  return (list || []).map((x) => (typeof x === "string" ? x : `${x.from} .. ${x.to}`)).join("\n");
}
function parseHolidays(text) {
  return text.split("\n").map((s) => s.trim()).filter(Boolean).map((line) => {
    const [from, to] = line.split("..").map((x) => x.trim());
    return to ? { from, to } : from;
  });
}

function calendarForm(cal, status, done) {
  const name = h("input", { name: "name", required: true, maxlength: 200, value: cal?.name ?? "" });
  const zone = h("input", { name: "time_zone", required: true, list: "cal-zones", value: cal?.time_zone ?? "UTC" });
  const days = {};
  const defaults = { mon: "09:00-18:00", tue: "09:00-18:00", wed: "09:00-18:00", thu: "09:00-18:00", fri: "09:00-18:00" };
  const week = h("fieldset", { class: "week" }, h("legend", {}, t("admin.working_hours")),
    h("p", { class: "muted" }, t("admin.hours_hint")),
    WEEKDAYS.map((d) => {
      days[d] = h("input", { name: `hours.${d}`, value: cal ? hoursText(cal.hours[d]) : defaults[d] ?? "", placeholder: "09:00-13:00, 14:00-18:00" });
      return field(t(`admin.weekday.${d}`), days[d]);
    }));
  const holidays = h("textarea", { name: "holidays", rows: 4, placeholder: "2026-01-01\n2026-01-02 .. 2026-01-08" });
  holidays.value = holidaysText(cal?.holidays);
  const body = () => {
    const hours = {};
    for (const d of WEEKDAYS) { const iv = parseHours(days[d].value); if (iv.length) hours[d] = iv; }
    return { name: name.value.trim(), time_zone: zone.value.trim(), hours, holidays: parseHolidays(holidays.value) };
  };
  return apiForm({ status, path: "/calendars", id: cal?.id, body, done },
    field(t("admin.calendar_name"), name),
    field(t("admin.time_zone"), zone), zoneList("cal-zones"),
    week,
    field(t("admin.holidays"), holidays, t("admin.holidays_hint")),
    h("div", { class: "actions" }, h("button", { type: "submit" }, cal ? t("admin.save") : t("admin.create_calendar")),
      cal ? h("a", { href: "#/admin/calendars" }, t("admin.back_to_list")) : null));
}

async function calendarsView(flash) {
  const cals = (await api("GET", "/calendars")).items;
  const status = statusLine(flash);
  const rows = cals.map((c) => [
    h("a", { href: `#/admin/calendars/${c.id}` }, c.name), c.time_zone,
    WEEKDAYS.filter((d) => c.hours[d]?.length).map((d) => `${t(`admin.weekday_short.${d}`)} ${hoursText(c.hours[d])}`).join("; ") || "—",
    String(c.holidays.length),
  ]);
  adminPage("calendars", t("admin.calendars"),
    table([t("admin.name"), t("admin.time_zone"), t("admin.working_hours"), t("admin.holidays")], rows),
    h("h2", {}, t("admin.new_calendar")),
    calendarForm(null, status, (saved) => calendarsView(t("admin.calendar_created", { name: saved.name }))),
    status);
}

async function calendarView(id) {
  const cal = await api("GET", `/calendars/${id}`);
  const status = statusLine();
  adminPage("calendars", t("admin.edit_calendar", { name: cal.name }),
    calendarForm(cal, status, (saved) => status.ok(t("admin.calendar_saved", { name: saved.name }))), status);
}

// ---- subjects ---------------------------------------------------------------------

async function subjectsView(flash) {
  const [subjects, plans] = await Promise.all([api("GET", "/subjects"), api("GET", "/sla-plans")]);
  const planOptions = [["", t("admin.no_plan")], ...options(plans.items)];
  const planName = new Map(plans.items.map((p) => [p.id, p.name]));
  const status = statusLine(flash);
  const create = nameForm({
    status, path: "/subjects", nameLabel: t("admin.subject_name"), maxlength: 255,
    choice: "sla_plan_id", choiceLabel: t("admin.sla_plan"), choices: planOptions, submitLabel: t("admin.create_subject"),
    done: (s) => subjectsView(t("admin.subject_created", { name: s.name })),
  });
  const edit = (s) => inlineEdit({
    status, path: "/subjects", id: s.id, openLabel: t("admin.edit"),
    fields: () => [field(t("admin.subject_name"), h("input", { name: "name", required: true, maxlength: 255, value: s.name })),
      field(t("admin.sla_plan"), select("sla_plan_id", planOptions, s.sla_plan_id))],
    body: (d) => ({ name: d.name.trim(), sla_plan_id: d.sla_plan_id ? Number(d.sla_plan_id) : null }),
    done: () => subjectsView(t("admin.saved")),
  });
  const rows = subjects.items.map((s) => [
    s.name, s.sla_plan_id ? planName.get(s.sla_plan_id) ?? `#${s.sla_plan_id}` : "—",
    h("span", { class: "row-actions" }, edit(s), deleteButton(status, `/subjects/${s.id}`, s.name, subjectsView)),
  ]);
  adminPage("subjects", t("admin.subjects"), create, status, table([t("admin.name"), t("admin.sla_plan"), t("admin.actions")], rows));
}

addRoute(/^\/admin\/sla$/, () => plansView(), { admin: true });
addRoute(/^\/admin\/sla\/(\d+)$/, planView, { admin: true });
addRoute(/^\/admin\/calendars$/, () => calendarsView(), { admin: true });
addRoute(/^\/admin\/calendars\/(\d+)$/, calendarView, { admin: true });
addRoute(/^\/admin\/subjects$/, () => subjectsView(), { admin: true });
