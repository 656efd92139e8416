// The admin area (admins only; the server checks every call again).

import { t, h, show, api, problemText, addRoute } from "./core.js";

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

addRoute(/^\/admin$/, adminView, { admin: true });
