// Reports for heads and admins (#/reports): tickets created and done per day, the
// backlog, SLA met and breached per clock and unit, median reaction and work times,
// who finished how many, the busiest subjects — over a date range and a unit, each
// with its table (what the chart shows, for screen readers and print) and a CSV file.
// Charts are drawn by Chart.js, served from /static/vendor (no CDN), loaded on first use.

import { state, t, h, show, api, problemText, addRoute, duration } from "./core.js";
import { units, labelled, select, options } from "./agent_common.js";

const CHART_JS = "/static/vendor/chart.js/chart.umd.min.js";
const CLOCKS = ["reaction", "work", "deadline"];
const COLOURS = { created: "#0550ae", done: "#116329", open: "#7d4e00", met: "#116329", breached: "#a40e26" };

let chartLoading = null;
function loadChartJs() {
  if (window.Chart) return Promise.resolve(window.Chart);
  chartLoading ??= new Promise((resolve, reject) => {
    const script = h("script", { src: CHART_JS });
    script.addEventListener("load", () => resolve(window.Chart));
    script.addEventListener("error", () => { chartLoading = null; reject(new Error("chart.js")); });
    document.head.append(script);
  });
  return chartLoading;
}

const day = (d) => d.toISOString().slice(0, 10);
function defaultRange() {
  const to = new Date();
  const from = new Date(to.getTime() - 29 * 86400_000);
  return { from: day(from), to: day(to) };
}
// Days are UTC days (the ticket report's daily aggregate); the SLA report takes the same
// range as times: [from 00:00Z, to + 1 day 00:00Z).
function rangeParams(from, to, unitId) {
  const end = new Date(`${to}T00:00:00Z`);
  end.setUTCDate(end.getUTCDate() + 1);
  const days = new URLSearchParams({ from, to });
  const times = new URLSearchParams({ from: `${from}T00:00:00Z`, to: end.toISOString() });
  if (unitId) { days.set("unit_id", unitId); times.set("unit_id", unitId); }
  return { days, times };
}

function csv(rows) {
  const cell = (v) => { const s = String(v ?? ""); return /[",\n;]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s; };
  return `${rows.map((r) => r.map(cell).join(",")).join("\r\n")}\r\n`;
}
function csvButton(name, rows) {
  return h("button", {
    type: "button", class: "secondary csv no-print", "data-csv": name,
    onclick: () => {
      const url = URL.createObjectURL(new Blob([`\ufeff${csv(rows)}`], { type: "text/csv;charset=utf-8" }));
      const a = h("a", { href: url, download: `${name}.csv` });
      document.body.append(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    },
  }, t("reports.csv"));
}
function dataTable(head, rows) {
  return h("div", { class: "table-wrap" }, h("table", { class: "report-table" },
    h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((x) => h("td", {}, x)))))));
}
// One report block: title, chart (when Chart.js is there), table, CSV.
function block(id, title, head, rows, chart) {
  const canvas = h("canvas", { id: `chart-${id}`, role: "img", "aria-label": title });
  const node = h("section", { class: "report card", id: `report-${id}` },
    h("h2", {}, title), h("div", { class: "chart-box" }, canvas),
    h("details", { class: "report-data" }, h("summary", {}, t("reports.table")), dataTable(head, rows)),
    csvButton(id, [head, ...rows]));
  return { node, draw: (Chart) => new Chart(canvas, { ...chart, options: { responsive: true, maintainAspectRatio: false, animation: false, ...(chart.options || {}) } }) };
}

async function reportsView(query) {
  const params = new URLSearchParams(query || "");
  const range = { ...defaultRange(), ...Object.fromEntries([...params].filter(([k]) => ["from", "to", "unit_id"].includes(k))) };
  const me = state.me;
  const all = await units(true);
  const unitChoices = me.is_admin || me.role === "department_head" ? all : all.filter((u) => (me.unit_ids || []).includes(u.id));
  const form = h("form", {
    class: "filters report-filters no-print", role: "search",
    onsubmit: (e) => {
      e.preventDefault();
      const d = Object.fromEntries(new FormData(form));
      const p = new URLSearchParams({ from: d.from, to: d.to });
      if (d.unit_id) p.set("unit_id", d.unit_id);
      location.hash = `#/reports?${p}`;
    },
  },
    labelled(t("reports.from"), h("input", { type: "date", name: "from", required: true, value: range.from })),
    labelled(t("reports.to"), h("input", { type: "date", name: "to", required: true, value: range.to })),
    labelled(t("ticket.unit"), select("unit_id", [["", t("reports.all_units")], ...options(unitChoices)], range.unit_id || "")),
    h("div", { class: "filter-buttons" }, h("button", { type: "submit" }, t("reports.show"))));
  const error = h("p", { class: "error", role: "alert" });
  const body = h("div", { id: "reports" }, h("p", { class: "muted" }, "…"));
  show(h("h1", {}, t("reports.title")), form, h("p", { class: "muted" }, t("reports.days_utc")), error, body);
  const p = rangeParams(range.from, range.to, range.unit_id);
  const unitName = new Map(all.map((u) => [u.id, u.name]));
  // The ticket figures come from a daily aggregate and are quick; the SLA report reads
  // every clock of the period and may take seconds over a long one: each part is drawn
  // as soon as it is there.
  const slaBox = h("div", { id: "reports-sla" }, h("p", { class: "muted", role: "status" }, t("reports.sla_loading")));
  let noCharts = null;
  const draw = async (blocks) => {
    try {
      const Chart = await loadChartJs();
      for (const b of blocks) b.draw(Chart);
    } catch {
      noCharts ??= body.insertAdjacentElement("afterbegin", h("p", { class: "muted" }, t("reports.no_charts")));
    }
  };
  const slaPart = api("GET", `/reports/sla?${p.times}`);
  // Read below; a failure of the ticket part returns first and must not leave this one unhandled.
  slaPart.catch(() => {});
  try {
    const tickets = await api("GET", `/reports/tickets?${p.days}`);
    const blocks = ticketBlocks(tickets);
    body.replaceChildren(blocks[0].node, blocks[1].node, slaBox, ...blocks.slice(2).map((b) => b.node));
    await draw(blocks);
  } catch (err) { body.replaceChildren(); error.textContent = problemText(err); return; }
  try {
    const blocks = slaBlocks(await slaPart, unitName);
    slaBox.replaceChildren(...blocks.map((b) => b.node));
    await draw(blocks);
  } catch (err) { slaBox.replaceChildren(h("p", { class: "error" }, problemText(err))); }
}

function ticketBlocks(tickets) {
  const days = tickets.days;
  const labels = days.map((d) => d.day);
  const perDay = block("per-day", t("reports.per_day"), [t("reports.day"), t("reports.created"), t("reports.done")],
    days.map((d) => [d.day, d.created, d.done]),
    { type: "bar", data: { labels, datasets: [
      { label: t("reports.created"), data: days.map((d) => d.created), backgroundColor: COLOURS.created },
      { label: t("reports.done"), data: days.map((d) => d.done), backgroundColor: COLOURS.done }] } });
  const backlog = block("backlog", t("reports.backlog"), [t("reports.day"), t("reports.open")],
    days.map((d) => [d.day, d.open]),
    { type: "line", data: { labels, datasets: [{ label: t("reports.open"), data: days.map((d) => d.open), borderColor: COLOURS.open, backgroundColor: COLOURS.open }] } });
  const people = block("people", t("reports.people"), [t("reports.person"), t("reports.done")],
    tickets.people.map((p) => [p.name || `#${p.user_id}`, p.done]),
    { type: "bar", data: { labels: tickets.people.map((p) => p.name || `#${p.user_id}`), datasets: [{ label: t("reports.done"), data: tickets.people.map((p) => p.done), backgroundColor: COLOURS.done }] },
      options: { indexAxis: "y" } });
  const subjectName = (s) => (s.subject_id ? s.subject : t("reports.typed_subjects"));
  const subjects = block("subjects", t("reports.subjects"), [t("ticket.subject"), t("reports.created")],
    tickets.subjects.map((s) => [subjectName(s), s.created]),
    { type: "bar", data: { labels: tickets.subjects.map(subjectName), datasets: [{ label: t("reports.created"), data: tickets.subjects.map((s) => s.created), backgroundColor: COLOURS.created }] },
      options: { indexAxis: "y" } });
  return [perDay, backlog, people, subjects];
}

function slaBlocks(sla, unitName) {
  const slaRows = sla.units.flatMap((u) => CLOCKS.filter((c) => u.clocks[c]?.measured).map((c) => [
    unitName.get(u.unit_id) ?? `#${u.unit_id}`, t(`clock.${c}`), u.clocks[c].measured, u.clocks[c].met, u.clocks[c].breached,
    u.clocks[c].met_share == null ? "" : `${Math.round(u.clocks[c].met_share * 100)}%`]));
  const slaBlock = block("sla", t("reports.sla"), [t("ticket.unit"), t("reports.clock"), t("reports.measured"), t("sla.met"), t("sla.breached"), t("reports.met_share")],
    slaRows,
    { type: "bar", data: { labels: slaRows.map((r) => `${r[0]} · ${r[1]}`), datasets: [
      { label: t("sla.met"), data: slaRows.map((r) => r[3]), backgroundColor: COLOURS.met },
      { label: t("sla.breached"), data: slaRows.map((r) => r[4]), backgroundColor: COLOURS.breached }] },
    options: { scales: { x: { stacked: true }, y: { stacked: true } } } });
  const medianRows = sla.units.map((u) => [unitName.get(u.unit_id) ?? `#${u.unit_id}`,
    ...["reaction", "work"].map((c) => (u.clocks[c]?.measured ? duration(u.clocks[c].median_used_seconds) : ""))]);
  const medians = block("medians", t("reports.medians"), [t("ticket.unit"), t("reports.median_reaction"), t("reports.median_work")], medianRows,
    { type: "bar", data: { labels: sla.units.map((u) => unitName.get(u.unit_id) ?? `#${u.unit_id}`), datasets: ["reaction", "work"].map((c, i) => ({
      label: t(i ? "reports.median_work_hours" : "reports.median_reaction_hours"),
      data: sla.units.map((u) => Math.round(((u.clocks[c]?.median_used_seconds) || 0) / 36) / 100),
      backgroundColor: i ? COLOURS.done : COLOURS.created })) } });
  return [slaBlock, medians];
}

addRoute(/^\/reports(?:\?(.*))?$/, reportsView, { staff: true });
