// Agent and client pages: dashboard and lists (agent_list.js), the ticket page
// (agent_ticket.js), new ticket (agent_new.js), profile and the user / unit cards
// (agent_profile.js). Each module registers its routes with core.addRoute.

import "./agent_list.js";
import "./agent_ticket.js";
import "./agent_new.js";
import "./agent_profile.js";
