// Presence on the ticket page: this page says "viewing" over the socket, and a
// banner shows who else is viewing or replying ("Anna is replying").

import { state, t, h, onLive, onLeave, sendLive, userName, knownName, isStaff } from "./core.js";

// { node, follow() }: follow() starts announcing and listening until the page is left.
export function presenceBanner(id) {
  const node = h("p", { class: "presence", id: "presence", role: "status", "aria-live": "polite", hidden: true });
  // A later message may overtake an earlier one while names are looked up: only the last draws.
  let seq = 0;
  const render = async (msg) => {
    if (String(msg.ticket_id) !== String(id)) return;
    const mine = ++seq;
    const others = othersOnPage(msg.viewers || []);
    const names = await Promise.all(others.map(displayName));
    if (mine !== seq) return;
    node.hidden = !others.length;
    node.textContent = others.map((v, i) => t(v.typing ? "presence.replying" : "presence.viewing", { name: names[i] })).join(" · ");
  };
  const announceView = () => sendLive({ type: "viewing", ticket_id: Number(id) });
  const follow = () => {
    announceView();
    onLeave(onLive("open", announceView));
    onLeave(onLive("presence", render));
    onLeave(() => sendLive({ type: "viewing", ticket_id: null }));
  };
  return { node, follow };
}

// One entry per other user (several tabs of one user count once, replying if any replies).
function othersOnPage(viewers) {
  const byUser = new Map();
  for (const v of viewers) {
    if (String(v.user_id) === String(state.me.id)) continue;
    byUser.set(v.user_id, { ...v, typing: v.typing || byUser.get(v.user_id)?.typing });
  }
  return [...byUser.values()];
}

// Names: the full name the message carries (from the viewer's sign-in), else one known,
// else (staff) looked up; the login only as the last resort.
async function displayName(v) {
  return v.name || knownName(v.user_id) || (isStaff() ? await userName(v.user_id) : null) || v.login;
}
