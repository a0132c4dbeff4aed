// Who else has the open case: colleagues viewing it or drafting a reply on it (from
// the live stream), so two agents do not answer the customer at once.
import { api, session } from "./api.js";
import { failed, h, notify } from "./dom.js";
import { t } from "./i18n.js";

const LAPSE_MS = 70_000; // a colleague's desk renews every 20 s; silence means gone

export function casePresence(caseId) {
  const line = h("p", { id: "case-presence", class: "meta", "aria-live": "polite" });
  const others = new Map(); // agent id -> { state, seen }
  const me = session()?.agent_id;

  function show() {
    const now = Date.now();
    for (const [agent, held] of others) if (now - held.seen > LAPSE_MS) others.delete(agent);
    line.textContent = [...others].map(([agent, held]) =>
      t(held.state === "drafting" ? "colleagueDrafting" : "colleagueViewing", { agent })).join(" · ");
  }

  api(`/v1/cases/${encodeURIComponent(caseId)}/presence`).then((holders) => {
    for (const held of holders) if (held.agent_id !== me) others.set(held.agent_id, { state: held.state, seen: Date.now() });
    show();
  }).catch(failed);

  return {
    node: line,
    show,
    event(data) {
      if (data?.case_id !== caseId) return;
      if (data.agent_id === me) {
        if (data.taken_over_by) notify(t("draftTakenOver", { agent: data.taken_over_by }), { error: true });
        return;
      }
      if (data.state === "left") others.delete(data.agent_id);
      else others.set(data.agent_id, { state: data.state, seen: Date.now() });
      show();
    },
  };
}

// Tell colleagues this agent has the case open or is drafting (or left it).
export function markPresence(caseId, state) {
  if (!caseId) return Promise.resolve();
  return api(`/v1/cases/${encodeURIComponent(caseId)}/presence`, { method: "PUT", body: { state } }).catch(() => {});
}
