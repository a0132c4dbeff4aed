// The supervisor's wallboard: queues live (the stream's `queues` figures, and a fresh
// read whenever a task changes) and today's KPIs. Figures at risk are marked in words
// as well as colour.
import { api } from "./api.js";
import { failed, h } from "./dom.js";
import { t } from "./i18n.js";

const SERVICE_LEVEL_TARGET = 80; // percent answered within the queue's threshold
const LONGEST_WAIT_RISK_SECONDS = 60;
const QUEUE_COLUMNS = [
  ["queueName", (row) => row.queue],
  ["waiting", (row) => row.waiting],
  ["longestWait", (row) => seconds(row.longest_wait_seconds)],
  ["agentsAvailable", (row) => row.agents_available],
  ["offeredCount", (row) => row.offered],
  ["answered", (row) => row.answered],
  ["abandoned", (row) => row.abandoned],
  ["serviceLevel", (row) => percent(row.service_level_percent)],
  ["asa", (row) => seconds(row.average_speed_of_answer_seconds)],
];
const KPIS = [
  ["offeredCount", (k) => k.routing.offered],
  ["answered", (k) => k.routing.answered],
  ["abandoned", (k) => k.routing.abandoned],
  ["serviceLevel", (k) => percent(rate(k.routing.service_level))],
  ["asa", (k) => seconds(k.routing.asa_seconds)],
  ["aht", (k) => seconds(k.routing.aht_seconds)],
  ["fcr", (k) => percent(rate(k.cases.fcr))],
  ["csat", (k) => percent(rate(k.cases.csat_score))],
];

function seconds(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value)} s`;
}

function rate(value) {
  return value === null || value === undefined ? null : value * 100;
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value)}%`;
}

function atRisk(row) {
  const slow = row.longest_wait_seconds > LONGEST_WAIT_RISK_SECONDS;
  const below = row.service_level_percent !== null && row.service_level_percent < SERVICE_LEVEL_TARGET;
  return slow || below;
}

export function showWallboard(main) {
  const queues = h("table", { id: "queues" },
    h("caption", { text: t("queuesLive") }),
    h("thead", {}, h("tr", {}, QUEUE_COLUMNS.map(([key]) => h("th", { scope: "col", text: t(key) })))),
    h("tbody", {}));
  const kpis = h("dl", { id: "kpis", class: "kpis" });
  main.replaceChildren(
    h("section", { class: "board", "aria-labelledby": "queues-title" },
      h("h2", { id: "queues-title", text: t("queues") }), h("div", { class: "scroll" }, queues)),
    h("section", { class: "board", "aria-labelledby": "kpi-title" },
      h("h2", { id: "kpi-title", text: t("today") }), kpis));

  function showQueues(rows) {
    queues.tBodies[0].replaceChildren(...rows.map((row) => h("tr",
      { class: atRisk(row) ? "at-risk" : undefined, "data-queue": row.queue },
      QUEUE_COLUMNS.map(([key, value], n) => h(n ? "td" : "th",
        { scope: n ? undefined : "row", "data-field": key, text: String(value(row)) })),
      atRisk(row) ? h("td", { class: "risk", text: t("atRisk") }) : null)));
  }

  function showKpis(figures) {
    kpis.replaceChildren(...KPIS.map(([key, value]) => h("div", {},
      h("dt", { text: t(key) }), h("dd", { "data-kpi": key, text: String(value(figures)) }))));
  }

  async function refresh() {
    try {
      showQueues(await api("/v1/queues"));
      const today = new Date();
      today.setHours(0, 0, 0, 0);
      const tomorrow = new Date(today.getTime() + 24 * 3600 * 1000);
      const period = `from=${encodeURIComponent(today.toISOString())}&to=${encodeURIComponent(tomorrow.toISOString())}`;
      showKpis(await api(`/v1/kpis?${period}`));
    } catch (error) {
      failed(error);
    }
  }

  let soon = null;
  refresh();
  return {
    queues: showQueues,
    changed() {
      clearTimeout(soon);
      soon = setTimeout(refresh, 500);
    },
  };
}
