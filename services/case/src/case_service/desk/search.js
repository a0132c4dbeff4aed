// Search messages, notes, customers and cases by any substring (Japanese included).
import { api } from "./api.js";
import { failed, h } from "./dom.js";
import { currentLanguage, t } from "./i18n.js";

const SCOPES = ["messages", "customers", "cases"];

export function searchForm(onOpen) {
  const query = h("input", { id: "search-q", name: "q", type: "search", minlength: "2", required: true });
  const scope = h("select", { id: "search-scope", name: "scope" },
    SCOPES.map((name) => h("option", { value: name, text: t(`scope_${name}`) })));
  const results = h("ul", { class: "tasks", id: "search-results", "aria-live": "polite" });
  const form = h("form", { role: "search", "aria-labelledby": "search-title" },
    h("h2", { id: "search-title", text: t("search") }),
    h("label", { for: "search-q", text: t("searchFor") }), query,
    h("label", { for: "search-scope", text: t("searchIn") }), scope,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", text: t("search") })),
    results);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const found = await api(`/v1/search?q=${encodeURIComponent(query.value)}&scope=${scope.value}`);
      results.replaceChildren(...(found.hits.length ? found.hits.map((hit) => result(hit, onOpen)) : [h("li", { class: "empty", text: t("noHits") })]));
    } catch (error) {
      failed(error);
    }
  });
  return form;
}

function result(hit, onOpen) {
  const when = hit.at ? new Date(hit.at).toLocaleString(currentLanguage() === "ja" ? "ja-JP" : "en-GB") : "";
  return h("li", { "data-hit": hit.id },
    h("span", { class: "badge", text: t(`scope_${hit.scope}`) }),
    h("span", { class: "text", text: hit.title ?? hit.id }),
    h("div", { class: "meta", text: when }),
    hit.customer_id ? h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: () => onOpen(hit), text: t("open") })) : null);
}
