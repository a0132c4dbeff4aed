// The customer beside the timeline: who they are, how they reach us, their cases.
import { api } from "./api.js";
import { failed, h } from "./dom.js";
import { t } from "./i18n.js";

export function customerPanel(customerId) {
  const panel = h("details", { class: "customer", open: true },
    h("summary", { text: t("customer") }));
  (async () => {
    try {
      const id = encodeURIComponent(customerId);
      const [customer, cases] = await Promise.all([api(`/v1/customers/${id}`), api(`/v1/customers/${id}/cases`)]);
      panel.append(
        h("p", {}, h("strong", { id: "customer-name", text: customer.display_name ?? t("unnamed") }),
          customer.vip ? h("span", { class: "badge", text: "VIP" }) : null,
          customer.language ? h("span", { class: "meta", text: ` · ${customer.language}` }) : null),
        h("h3", { text: t("identities") }),
        h("ul", { class: "identities" }, customer.identities.map((identity) => h("li", {},
          h("span", { class: "badge", text: identity.kind }),
          h("span", { text: identity.value })))),
        h("h3", { text: t("cases") }),
        h("ul", { class: "identities", id: "customer-cases" }, cases.map((kase) => h("li", { "data-case": kase.id },
          h("span", { class: "badge", text: kase.channel }),
          h("span", { text: kase.subject ?? kase.id.slice(0, 8) }),
          h("span", { class: "meta", text: ` · ${t(`status_${kase.status}`)}` })))));
    } catch (error) {
      failed(error);
    }
  })();
  return panel;
}
