// The knowledge articles that best answer what the customer wrote on the case; using
// one puts its text in the reply box and keeps it on the case ("the FAQ solved it").
import { api } from "./api.js";
import { failed, h, notify } from "./dom.js";
import { t } from "./i18n.js";

export function suggestionsPanel(caseId, { onUse }) {
  const list = h("ul", { class: "identities", id: "suggestions" });
  const panel = h("details", { class: "customer", open: true, id: "suggestions-panel" },
    h("summary", { text: t("suggestions") }), list);

  async function use(suggestion) {
    try {
      await api(`/v1/cases/${encodeURIComponent(caseId)}/knowledge-used`, {
        method: "POST",
        body: { article_id: suggestion.article_id },
      });
      onUse(suggestion.body);
      notify(t("articleUsed", { title: suggestion.title }));
    } catch (error) {
      failed(error);
    }
  }

  api(`/v1/cases/${encodeURIComponent(caseId)}/suggestions`).then((found) => {
    list.replaceChildren(...(found.length
      ? found.map((suggestion) => h("li", { "data-article": suggestion.article_id },
        h("strong", { text: suggestion.title }),
        suggestion.category ? h("span", { class: "meta", text: ` · ${suggestion.category}` }) : null,
        h("p", { class: "text meta", text: suggestion.body.slice(0, 140) }),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "secondary", onclick: () => use(suggestion), text: t("useArticle") }))))
      : [h("li", { class: "empty", text: t("noSuggestions") })]));
  }).catch(failed);
  return panel;
}
