// The supervisor's wallboard: queues live (the stream's `queues` figures, and a fresh
// read whenever a task changes), agents live, and the KPIs of a chosen period with
// each day's figures charted and tabled. Figures at risk are marked in words
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
  ["agentsBusy", (row) => row.agents_busy ?? "–"],
  ["agentsOnBreak", (row) => row.agents_on_break ?? "–"],
  ["offeredCount", (row) => row.offered],
  ["answered", (row) => row.answered],
  ["abandoned", (row) => row.abandoned],
  ["serviceLevel", (row) => percent(row.service_level_percent)],
  ["asa", (row) => seconds(row.average_speed_of_answer_seconds)],
];
const AGENT_COLUMNS = [
  ["agentName", (row) => row.display_name ?? row.agent_id],
  ["presence", (row) => [t(row.presence), row.reason ? ` (${row.reason})` : ""].join("")],
  ["timeInState", (row) => duration(row.seconds_in_state)],
  ["offeredNow", (row) => row.offers],
  ["workInHand", (row) => Object.entries(row.capacity).filter(([, most]) => most > 0)
    .map(([channel, most]) => `${t(`kind_${channel}`)} ${row.in_hand[channel] ?? 0}/${most}`).join(" · ")],
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
  ["faqSolved", (k) => percent(rate(k.cases.solved_with_article))],
  ["nps", (k) => (k.cases.nps === null || k.cases.nps === undefined ? "–" : String(k.cases.nps))],
];

// What the chart can show per day besides volume: the KPI's number, unformatted.
const CHARTED = {
  abandoned: (k) => k.routing.abandoned,
  serviceLevel: (k) => rate(k.routing.service_level),
  asa: (k) => k.routing.asa_seconds,
  aht: (k) => k.routing.aht_seconds,
  fcr: (k) => rate(k.cases.fcr),
  csat: (k) => rate(k.cases.csat_score),
  faqSolved: (k) => rate(k.cases.solved_with_article),
  nps: (k) => (k.cases.nps === null || k.cases.nps === undefined ? null : Math.max(0, k.cases.nps)),
};

function seconds(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value)} s`;
}

function duration(value) {
  if (value === null || value === undefined) return "–";
  const minutes = Math.floor(value / 60);
  return minutes ? `${minutes} min ${Math.round(value % 60)} s` : `${Math.round(value)} s`;
}

function rate(value) {
  return value === null || value === undefined ? null : value * 100;
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${Math.round(value)}%`;
}

const DAY_MS = 24 * 3600 * 1000;
const MOST_DAYS = 31;

function daysAgo(n) {
  const day = new Date();
  day.setHours(0, 0, 0, 0);
  return new Date(day.getTime() - n * DAY_MS);
}

function isoDay(day) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

function localDay(value) {
  const [year, month, date] = value.split("-").map(Number);
  return new Date(year, month - 1, date);
}

function nextDay(day) {
  return new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
}

function kpisBetween(start, end) {
  const range = `from=${encodeURIComponent(start.toISOString())}&to=${encodeURIComponent(end.toISOString())}`;
  return api(`/v1/kpis?${range}`);
}

// Each day of the period (at most a month): the chosen figure as bars (offered and
// answered side by side, or one KPI), and every KPI of every day in a table below.
async function showChart(figure, first, last, metric) {
  const days = [];
  for (let day = first; day <= last && days.length < MOST_DAYS; day = nextDay(day)) days.push(day);
  const rows = await Promise.all(days.map(async (day) => [day, await kpisBetween(day, nextDay(day))]));
  const series = metric === "volume"
    ? [[(k) => k.routing.offered, "offered"], [(k) => k.routing.answered, "answered"]]
    : [[CHARTED[metric], "offered"]];
  const most = Math.max(1, ...rows.flatMap(([, k]) => series.map(([value]) => value(k) ?? 0)));
  const svg = "http://www.w3.org/2000/svg";
  const graph = document.createElementNS(svg, "svg");
  graph.setAttribute("viewBox", `0 0 ${40 * rows.length + 40} 140`);
  graph.setAttribute("class", "chart");
  graph.setAttribute("aria-hidden", "true"); // the table below says the same
  rows.forEach(([day, k], n) => {
    series.forEach(([value, kind], s) => {
      const bar = document.createElementNS(svg, "rect");
      const height = (100 * (value(k) ?? 0)) / most;
      bar.setAttribute("x", String(30 + n * 40 + s * 14));
      bar.setAttribute("y", String(110 - height));
      bar.setAttribute("width", "12");
      bar.setAttribute("height", String(height));
      bar.setAttribute("class", `bar-${kind}`);
      graph.append(bar);
    });
    const label = document.createElementNS(svg, "text");
    label.setAttribute("x", String(30 + n * 40));
    label.setAttribute("y", "128");
    label.setAttribute("class", "chart-label");
    label.textContent = `${day.getMonth() + 1}/${day.getDate()}`;
    graph.append(label);
  });
  figure.replaceChildren(
    h("figcaption", { text: metric === "volume" ? t("perDay") : t("kpiPerDay", { kpi: t(metric) }) }),
    graph,
    h("div", { class: "scroll" }, h("table", { class: "per-day" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t("day") }), KPIS.map(([key]) => h("th", { scope: "col", text: t(key) })))),
      h("tbody", {}, rows.map(([day, k]) => h("tr", { "data-day": isoDay(day) },
        h("th", { scope: "row", text: isoDay(day) }),
        KPIS.map(([key, value]) => h("td", { "data-kpi": key, text: String(value(k)) }))))))));
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
  const since = h("input", { id: "kpi-from", name: "from", type: "date", value: isoDay(daysAgo(6)) });
  const until = h("input", { id: "kpi-to", name: "to", type: "date", value: isoDay(daysAgo(0)) });
  const metric = h("select", { id: "kpi-chart-of", name: "chart" },
    h("option", { value: "volume", text: t("perDay") }),
    ...Object.keys(CHARTED).map((key) => h("option", { value: key, text: t(key) })));
  const period = h("form", { class: "period" },
    h("label", { for: "kpi-from", text: t("from") }), since,
    h("label", { for: "kpi-to", text: t("to") }), until,
    h("label", { for: "kpi-chart-of", text: t("chartOf") }), metric,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", text: t("show") })));
  period.addEventListener("submit", (event) => {
    event.preventDefault();
    refresh({ chart: true });
  });
  const chart = h("figure", { id: "kpi-chart" });
  const agents = h("table", { id: "agents" },
    h("caption", { text: t("agentsLive") }),
    h("thead", {}, h("tr", {}, AGENT_COLUMNS.map(([key]) => h("th", { scope: "col", text: t(key) })))),
    h("tbody", {}));
  main.replaceChildren(
    h("section", { class: "board", "aria-labelledby": "queues-title" },
      h("h2", { id: "queues-title", text: t("queues") }), h("div", { class: "scroll" }, queues)),
    h("section", { class: "board", "aria-labelledby": "agents-title" },
      h("h2", { id: "agents-title", text: t("agents") }), h("div", { class: "scroll" }, agents)),
    h("section", { class: "board", "aria-labelledby": "kpi-title" },
      h("h2", { id: "kpi-title", text: t("kpisFor") }), period, kpis, chart));

  function showQueues(rows) {
    queues.tBodies[0].replaceChildren(...rows.map((row) => h("tr",
      { class: atRisk(row) ? "at-risk" : undefined, "data-queue": row.queue },
      QUEUE_COLUMNS.map(([key, value], n) => h(n ? "td" : "th",
        { scope: n ? undefined : "row", "data-field": key, text: String(value(row)) })),
      atRisk(row) ? h("td", { class: "risk", text: t("atRisk") }) : null)));
  }

  function showAgents(rows) {
    agents.tBodies[0].replaceChildren(...rows.map((row) => h("tr", { "data-agent": row.agent_id },
      AGENT_COLUMNS.map(([key, value], n) => h(n ? "td" : "th",
        { scope: n ? undefined : "row", "data-field": key, text: String(value(row)) })))));
  }

  function showKpis(figures) {
    kpis.replaceChildren(...KPIS.map(([key, value]) => h("div", {},
      h("dt", { text: t(key) }), h("dd", { "data-kpi": key, text: String(value(figures)) }))));
  }

  async function refresh({ chart: redraw = false } = {}) {
    try {
      showQueues(await api("/v1/queues"));
      showAgents(await api("/v1/agents"));
      const first = localDay(since.value);
      const last = localDay(until.value);
      showKpis(await kpisBetween(first, nextDay(last)));
      if (redraw) await showChart(chart, first, last, metric.value); // on request: a query a day
    } catch (error) {
      failed(error);
    }
  }

  let soon = null;
  refresh({ chart: true });
  return {
    queues: showQueues,
    changed() {
      clearTimeout(soon);
      soon = setTimeout(refresh, 500);
    },
  };
}
