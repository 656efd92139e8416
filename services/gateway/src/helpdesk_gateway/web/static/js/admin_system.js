// System information (#/admin/system): service health, JetStream queue depths and
// package versions, from GET /api/v1/system. Refreshes on demand.

import { t, h, api, addRoute } from "./core.js";
import { adminPage, table } from "./admin_ui.js";

function badge(status) {
  return h("span", { class: status === "up" ? "badge ok" : "badge off" }, t(`admin.health.${status}`));
}

async function systemView() {
  const info = await api("GET", "/system");
  const services = table([t("admin.service"), t("admin.health")], info.services.map((s) => [s.name, badge(s.status)]));
  const q = info.queues;
  const streams = q.status !== "up"
    ? h("p", { class: "error" }, t("admin.queues_down"))
    : q.streams.length
      ? h("div", { class: "streams" }, q.streams.map((s) => h("section", { class: "stream", "aria-label": s.name },
        h("h3", {}, s.name, " ", h("span", { class: "muted" }, t("admin.stream_messages", { n: s.messages }))),
        s.consumers.length
          ? table([t("admin.consumer"), t("admin.pending"), t("admin.ack_pending"), t("admin.redelivered")],
            s.consumers.map((c) => [c.name, String(c.num_pending), String(c.num_ack_pending), String(c.num_redelivered)]))
          : h("p", { class: "muted" }, t("admin.no_consumers")))))
      : h("p", { class: "muted" }, t("admin.no_streams"));
  const versions = table([t("admin.package"), t("admin.version")], Object.entries(info.versions).map(([k, v]) => [k, v]));
  adminPage("system", t("admin.system"),
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: () => systemView() }, t("admin.refresh"))),
    h("h2", {}, t("admin.services")), services,
    h("h2", {}, t("admin.queues")), streams,
    h("h2", {}, t("admin.versions")), versions);
}

addRoute(/^\/admin\/system$/, systemView, { admin: true });
