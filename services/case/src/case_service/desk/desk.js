// The agent desk: sign in, presence, live offers, work in hand, a customer's unified
// timeline and the reply box. Everything a customer wrote is set as text, never HTML.
import { api, ApiError, keepSession, session } from "./api.js";
import { casePanel } from "./case_panel.js";
import { casePresence, markPresence } from "./case_presence.js";
import { customerPanel } from "./customer_panel.js";
import { failed, h, notify } from "./dom.js";
import { currentLanguage, setLanguage, t } from "./i18n.js";
import { replyForm } from "./reply_form.js";
import { entryItem } from "./timeline_view.js";
import { follow } from "./stream.js";
import { searchForm } from "./search.js";
import { suggestionsPanel } from "./suggestions.js";
import { showWallboard } from "./wallboard.js";

const PAGE = 50;
const PRESENCES = ["available", "busy", "break", "break:lunch", "break:meeting", "break:training", "break:other", "wrap_up", "offline"];

const state = {
  work: null, // GET /v1/agents/me/tasks
  openTask: null, // the task whose customer's timeline is shown
  timeline: [], // entries shown, newest first
  cursor: null, // the next (older) page's cursor; null when the history is all shown
  stopStream: null,
  ticker: null,
  recheck: null, // the next look at a pending reply
  offered: new Map(), // task id -> queue of the offers last shown
  unread: {}, // case id -> the customer's messages since this agent last read it
  activity: {}, // case id -> when anything last happened on it (newest first)
  unreadTimer: null,
  caseless: null, // the next look for the case of work in hand that has none yet
  presence: null, // colleagues on the open case
  holding: null, // the timer renewing this agent's hold on the open case
};

// --- sign in -------------------------------------------------------------------------

function showSignIn() {
  document.getElementById("top").replaceChildren(h("h1", { text: t("title") }));
  const language = h("select", { id: "language", name: "language" },
    h("option", { value: "en", text: "English" }), h("option", { value: "ja", text: "日本語" }));
  language.value = currentLanguage();
  language.addEventListener("change", () => { setLanguage(language.value); showSignIn(); });
  const form = h("form", { "aria-labelledby": "signin-title" },
    h("h2", { id: "signin-title", text: t("signIn") }),
    h("label", { for: "tenant", text: t("tenant") }),
    h("input", { id: "tenant", name: "tenant", value: "demo", required: true, autocomplete: "organization" }),
    h("label", { for: "agent-id", text: t("agentId") }),
    h("input", { id: "agent-id", name: "agent", value: "ana", required: true, autocomplete: "username" }),
    h("label", { for: "role", text: t("role") }),
    h("select", { id: "role", name: "role" },
      h("option", { value: "agent", text: t("agent") }),
      h("option", { value: "supervisor", text: t("supervisor") })),
    h("label", { for: "language", text: t("language") }),
    language,
    h("div", { class: "actions" }, h("button", { type: "submit", text: t("signIn") })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const signedIn = await api("/v1/dev/sign-in", {
        method: "POST",
        body: { tenant_id: form.tenant.value.trim(), agent_id: form.agent.value.trim(), role: form.role.value },
      });
      keepSession({ ...signedIn, language: currentLanguage() });
      start();
    } catch (error) {
      failed(error);
    }
  });
  document.getElementById("main").replaceChildren(h("section", { class: "signin" }, form));
  form.tenant.focus();
}

// --- the desk ------------------------------------------------------------------------

function start() {
  const current = session();
  if (!current) return showSignIn();
  setLanguage(current.language || "en");
  showHeader(current);
  state.stopStream?.();
  clearInterval(state.ticker);
  const trouble = () => notify(t("streamDown"), { error: true });
  if (current.role === "supervisor" && (current.view ?? "board") === "board") {
    const board = showWallboard(document.getElementById("main"));
    state.stopStream = follow((name, data) => {
      if (name === "queues") {
        board.queues(data);
        board.changed(); // and today's KPIs, stored meanwhile
      }
      else if (name === "task") board.changed();
      else if (name === "expired") expired();
    }, trouble);
    return;
  }
  const openHit = (hit) => openTask({ task_id: null, customer_id: hit.customer_id, case_id: hit.case_id, channel: null });
  const work = current.role === "supervisor"
    ? [] // a supervisor looks customers up; offers and work in hand are agents'
    : [
      h("p", { class: "meta" }, t("capacity"), " ", h("span", { id: "capacity" })),
      h("h2", { id: "offers-title", text: t("offers") }), h("ul", { class: "tasks", id: "offers" }),
      h("h2", { id: "work-title", text: t("inHand") }), h("ul", { class: "tasks", id: "in-hand" }),
    ];
  document.getElementById("main").replaceChildren(
    h("aside", { "aria-label": t("search") }, ...work, searchForm(openHit)),
    h("section", { class: "case", id: "case", "aria-labelledby": "case-title" },
      h("h2", { id: "case-title", text: t("timeline") }), h("p", { class: "empty", text: t("selectWork") })));
  state.stopStream = follow(onLiveEvent, trouble);
  if (current.role !== "supervisor") {
    state.ticker = setInterval(tick, 1000);
    refreshWork();
  }
  if (state.openTask) openTask(state.openTask); // kept across a change of language
}

function showHeader(current) {
  const presence = h("select", { id: "presence", "aria-label": t("presence") },
    h("option", { value: "", text: "…", disabled: true }), // until the router says
    PRESENCES.map((name) => h("option", { value: name, text: t(name) })));
  presence.value = "";
  presence.addEventListener("change", async () => {
    const [chosen, reason] = presence.value.split(":");
    try {
      await api("/v1/agents/me/presence", {
        method: "PUT",
        body: { presence: chosen, ...(reason ? { reason } : {}) },
        headers: { "Idempotency-Key": crypto.randomUUID() },
      });
      notify(t("presenceNow", { presence: t(presence.value) }));
      setTimeout(refreshWork, 500);
    } catch (error) {
      failed(error);
    }
  });
  const language = h("select", { id: "language", "aria-label": t("language") },
    h("option", { value: "en", text: "English" }), h("option", { value: "ja", text: "日本語" }));
  language.value = currentLanguage();
  language.addEventListener("change", () => {
    keepSession({ ...session(), language: language.value });
    start();
  });
  const view = h("select", { id: "view", "aria-label": t("view") },
    h("option", { value: "board", text: t("viewBoard") }), h("option", { value: "customers", text: t("viewCustomers") }));
  view.value = current.view ?? "board";
  view.addEventListener("change", () => {
    keepSession({ ...session(), view: view.value });
    state.openTask = null;
    start();
  });
  const signOut = h("button", { type: "button", class: "secondary", text: t("signOut") });
  signOut.addEventListener("click", () => {
    markPresence(state.openTask?.case_id, "left");
    clearInterval(state.holding);
    state.stopStream?.();
    clearInterval(state.ticker);
    keepSession(null);
    state.openTask = null;
    showSignIn();
  });
  document.getElementById("top").replaceChildren(
    h("h1", { text: t("title") }),
    h("span", { class: "meta", text: t("signedInAs", { agent: current.agent_id, tenant: current.tenant_id }) }),
    current.role === "supervisor" ? view : presence, language, signOut);
}

async function refreshWork() {
  try {
    state.work = await api("/v1/agents/me/tasks");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return expired();
    return failed(error);
  }
  const presence = document.getElementById("presence");
  const shown = PRESENCES.find((name) => name === `${state.work.presence}:${state.work.reason}`)
    ?? PRESENCES.find((name) => name.split(":")[0] === state.work.presence);
  if (presence && shown && document.activeElement !== presence) presence.value = shown;
  const offered = new Set((state.work.tasks ?? []).filter((task) => task.state === "offered").map((task) => task.task_id));
  for (const [taskId, queue] of state.offered) {
    if (!offered.has(taskId) && !(state.work.tasks ?? []).some((task) => task.task_id === taskId)) {
      // The offer went to someone else; the router may have put this agent on break.
      notify(state.work.reason === "missed offer" ? t("offerMissed", { queue }) : t("offerGone", { queue }));
    }
  }
  state.offered = new Map((state.work.tasks ?? []).filter((task) => task.state === "offered").map((task) => [task.task_id, task.queue]));
  showWork();
  refreshUnread();
  // Work accepted before its conversation was stored has no case yet: ask again soon.
  clearTimeout(state.caseless);
  if ((state.work.tasks ?? []).some((task) => task.state !== "offered" && !task.case_id)) {
    state.caseless = setTimeout(refreshWork, 2000);
  }
}

async function refreshUnread() {
  const cases = [...new Set((state.work?.tasks ?? []).filter((task) => task.state !== "offered" && task.case_id).map((task) => task.case_id))];
  if (!cases.length) return;
  try {
    const query = cases.slice(0, 50).map((id) => `case_id=${encodeURIComponent(id)}`).join("&");
    const summary = await api(`/v1/unread?${query}`);
    state.unread = summary.cases;
    state.activity = summary.last_activity_at ?? {};
    showWork();
  } catch (error) {
    failed(error);
  }
}

// Live changes come in bursts (a message, its routing, the case): count once after.
function soon(action) {
  clearTimeout(state.unreadTimer);
  state.unreadTimer = setTimeout(action, 400);
}

async function markRead(caseId) {
  if (!caseId || session()?.role === "supervisor") return;
  await api(`/v1/cases/${encodeURIComponent(caseId)}/read`, { method: "PUT" }).catch(() => {});
  await refreshUnread();
}

function expired() {
  keepSession(null);
  state.stopStream?.();
  showSignIn();
}

function showWork() {
  const tasks = state.work?.tasks ?? [];
  const offers = tasks.filter((task) => task.state === "offered");
  const latest = (task) => state.activity[task.case_id] ?? "";
  const inHand = tasks.filter((task) => task.state !== "offered").sort((a, b) => latest(b).localeCompare(latest(a)));
  const offerList = document.getElementById("offers");
  const workList = document.getElementById("in-hand");
  if (!offerList || !workList) return;
  const capacity = document.getElementById("capacity");
  if (capacity && state.work) {
    const held = state.work.in_hand ?? {};
    capacity.textContent = Object.entries(state.work.capacity ?? {})
      .filter(([, most]) => most > 0)
      .map(([channel, most]) => `${t(`kind_${channel}`)} ${held[channel] ?? 0}/${most}`)
      .join(" · ");
  }
  offerList.replaceChildren(...(offers.length ? offers.map(offerItem) : [h("li", { class: "empty", text: t("noOffers") })]));
  workList.replaceChildren(...(inHand.length ? inHand.map(workItem) : [h("li", { class: "empty", text: t("noWork") })]));
}

function taskSummary(task) {
  return [
    h("span", { class: "badge", text: task.channel }),
    h("strong", { text: task.customer_ref || task.interaction_id.slice(0, 8) }),
    h("div", { class: "meta" }, t("queue", { q: task.queue }), " · ",
      h("span", { "data-waited": task.task_id, text: t("waited", { s: Math.round(task.waited_seconds) }) })),
  ];
}

function offerItem(task) {
  const expires = task.offer_expires_in_seconds;
  return h("li", { class: "offer", "data-task": task.task_id },
    ...taskSummary(task),
    expires !== null && expires !== undefined
      ? h("div", { class: "countdown", "data-expires": String(Date.now() + expires * 1000), text: t("expiresIn", { s: Math.ceil(expires) }) })
      : null,
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => act(task, "accept"), text: t("accept") }),
      h("button", { type: "button", class: "secondary", onclick: () => act(task, "reject"), text: t("reject") })));
}

function workItem(task) {
  const selected = state.openTask?.task_id === task.task_id;
  const unread = state.unread[task.case_id] ?? 0;
  return h("li", { class: selected ? "selected" : undefined, "data-task": task.task_id, "data-case": task.case_id },
    ...taskSummary(task),
    unread ? h("span", { class: "unread", "data-unread": String(unread), text: t("unread", { n: unread >= 99 ? "99+" : unread }) }) : null,
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => openTask(task), text: t("open") }),
      h("button", { type: "button", class: "secondary", onclick: () => act(task, "complete"), text: t("complete") })),
    handOver(task));
}

function handOver(task) {
  const queue = h("input", { id: `to-${task.task_id}`, name: "queue", required: true, value: task.queue });
  const note = h("input", { id: `why-${task.task_id}`, name: "note", maxlength: "2000" });
  const form = h("form", { class: "hand-over" },
    h("label", { for: queue.id, text: t("toQueue") }), queue,
    h("label", { for: note.id, text: t("handOverNote") }), note,
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "secondary", value: "transfer", text: t("transfer") }),
      h("button", { type: "submit", class: "secondary", value: "escalate", text: t("escalate") })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const action = event.submitter?.value === "escalate" ? "escalate" : "transfer";
    act(task, action, { target_queue: queue.value.trim(), ...(note.value ? { note: note.value } : {}) });
  });
  return h("details", {}, h("summary", { text: t("handOver") }), form);
}

async function act(task, action, details = {}) {
  try {
    await api(`/v1/tasks/${encodeURIComponent(task.task_id)}/actions`, {
      method: "POST",
      body: { action, ...details },
      headers: { "Idempotency-Key": `${task.task_id}:${action}` },
    });
  } catch (error) {
    failed(error);
  }
  setTimeout(refreshWork, 300);
}

function tick() {
  for (const node of document.querySelectorAll("[data-expires]")) {
    const left = Math.max(0, Math.ceil((Number(node.dataset.expires) - Date.now()) / 1000));
    node.textContent = t("expiresIn", { s: left });
    if (left === 0) setTimeout(refreshWork, 500);
  }
}

function onLiveEvent(name, event) {
  if (name === "task") {
    if (session()?.role !== "supervisor") refreshWork();
  } else if (name === "case.changed") {
    const data = event?.data ?? {};
    const open = state.openTask;
    if (open && (data.customer_id === open.customer_id || data.case_id === open.case_id)) {
      loadNewest();
      soon(() => markRead(open.case_id));
    } else if ((state.work?.tasks ?? []).some((task) => task.state !== "offered" && !task.case_id)) {
      soon(refreshWork); // work in hand whose case was not stored yet: now it may be
    } else {
      soon(refreshUnread);
    }
  } else if (name === "case.presence") {
    state.presence?.event(event?.data);
  } else if (name === "conversation.typing" && state.openTask) {
    const data = event?.data ?? {};
    const shown = document.getElementById("customer-typing");
    if (shown && data.party === "customer") shown.textContent = data.active ? t("customerTyping") : "";
  } else if (name === "expired") {
    expired();
  }
}

// --- a customer's timeline and the reply box -------------------------------------------

async function openTask(task) {
  if (!task.customer_id) {
    // The interaction is not stored yet: ask again for where it went.
    await refreshWork();
    task = (state.work?.tasks ?? []).find((candidate) => candidate.task_id === task.task_id) ?? task;
    if (!task.customer_id) return notify(t("notStored"));
  }
  if (state.openTask?.case_id && state.openTask.case_id !== task.case_id) markPresence(state.openTask.case_id, "left");
  state.openTask = task;
  state.timeline = [];
  state.cursor = null;
  showWork();
  const fields = task.case_id ? casePanel(task.case_id, loadNewest) : null;
  const reply = replyForm(task, { onSent: () => { loadNewest(); fields?.reload(); } });
  state.presence = task.case_id ? casePresence(task.case_id) : null;
  clearInterval(state.holding);
  if (task.case_id) {
    markPresence(task.case_id, "viewing");
    state.holding = setInterval(() => {
      markPresence(task.case_id, reply.drafting() ? "drafting" : "viewing");
      state.presence?.show();
    }, 20_000);
  }
  const older = h("button", { type: "button", class: "secondary", id: "older", text: t("olderEntries") });
  older.addEventListener("click", loadOlder);
  document.getElementById("case").replaceChildren(
    h("h2", { id: "case-title", text: t("timeline") }),
    customerPanel(task.customer_id, {
      supervisor: session()?.role === "supervisor",
      onChange: loadNewest,
      onMerged: (survivor) => {
        notify(t("followedMerge"));
        openTask({ ...task, customer_id: survivor });
      },
    }),
    state.presence?.node,
    task.case_id ? suggestionsPanel(task.case_id, { onUse: (text) => reply.fill(text) }) : null,
    reply,
    fields,
    h("ol", { class: "timeline", id: "timeline", "aria-live": "polite", "aria-label": t("timeline") }),
    h("div", { class: "actions" }, older));
  new IntersectionObserver((seen) => {
    if (seen.some((entry) => entry.isIntersecting) && state.cursor) loadOlder();
  }).observe(older);
  await loadNewest();
  markRead(task.case_id);
}

async function loadNewest() {
  const task = state.openTask;
  if (!task) return;
  try {
    const page = await api(`/v1/customers/${encodeURIComponent(task.customer_id)}/timeline?limit=${PAGE}`);
    const known = new Map(state.timeline.map((entry) => [entry.id, entry]));
    for (const entry of page.items) known.set(entry.id, entry);
    state.timeline = [...known.values()].sort(newestFirst);
    if (state.cursor === null && state.timeline.length === page.items.length) state.cursor = page.next_cursor;
    showTimeline();
  } catch (error) {
    failed(error);
  }
}

async function loadOlder() {
  const task = state.openTask;
  if (!task || !state.cursor) return;
  const cursor = state.cursor;
  state.cursor = null; // one request at a time
  try {
    const page = await api(`/v1/customers/${encodeURIComponent(task.customer_id)}/timeline?limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`);
    const known = new Set(state.timeline.map((entry) => entry.id));
    state.timeline.push(...page.items.filter((entry) => !known.has(entry.id)));
    state.cursor = page.next_cursor;
  } catch (error) {
    state.cursor = cursor;
    failed(error);
  }
  showTimeline();
}

function newestFirst(a, b) {
  return a.occurred_at < b.occurred_at ? 1 : a.occurred_at > b.occurred_at ? -1 : (b.order ?? 0) - (a.order ?? 0);
}

function showTimeline() {
  const list = document.getElementById("timeline");
  if (!list) return;
  list.replaceChildren(...state.timeline.map(entryItem));
  // A reply shows pending until its channel settles it: look again while one is.
  clearTimeout(state.recheck);
  if (state.timeline.some((entry) => entry.reply?.status === "pending")) {
    state.recheck = setTimeout(loadNewest, 2000);
  }
  const older = document.getElementById("older");
  if (older) {
    older.hidden = !state.cursor;
    older.setAttribute("aria-hidden", state.cursor ? "false" : "true");
  }
}

start();
