// Agent and client pages: dashboard and lists (agent_list.js, with bulk actions in
// agent_bulk.js and saved views in agent_views.js), the ticket page (agent_ticket.js),
// new ticket (agent_new.js), profile and the user / unit cards (agent_profile.js),
// canned responses (agent_canned.js), reports (agent_reports.js), the top bar's search
// and the keyboard shortcuts (agent_keys.js). Each module registers its routes with
// core.addRoute.

import "./agent_list.js";
import "./agent_ticket.js";
import "./agent_new.js";
import "./agent_profile.js";
import "./agent_canned.js";
import "./agent_reports.js";
import "./agent_keys.js";
