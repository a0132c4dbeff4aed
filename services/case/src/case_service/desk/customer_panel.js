// The customer beside the timeline: who they are, how they reach us, their cases, the
// merges they took part in (a supervisor can undo one) and, for supervisors, the open
// proposals that they are someone else too (accept or dismiss). A customer merged into
// another is followed there: that one holds the history now.
import { api } from "./api.js";
import { failed, h, notify } from "./dom.js";
import { t } from "./i18n.js";

const IDENTITY_KINDS = ["email", "phone", "line_user_id", "messenger_psid", "whatsapp_id", "telegram_user_id", "crm_id"];

export function customerPanel(customerId, { supervisor = false, onChange = () => {}, onMerged = () => {} } = {}) {
  const panel = h("details", { class: "customer", open: true, id: "customer-panel" });

  async function load() {
    try {
      const id = encodeURIComponent(customerId);
      const [customer, cases, merges, proposals] = await Promise.all([
        api(`/v1/customers/${id}`),
        api(`/v1/customers/${id}/cases`),
        api(`/v1/customers/${id}/merges`),
        supervisor ? api("/v1/merge-proposals") : Promise.resolve([]),
      ]);
      if (customer.merged_into) return onMerged(customer.merged_into); // follow them there
      const mine = proposals.filter((proposal) => proposal.customer_ids.includes(customerId));
      const parts = [
        h("summary", { text: t("customer") }),
        h("p", {}, h("strong", { id: "customer-name", text: customer.display_name ?? t("unnamed") }),
          customer.vip ? h("span", { class: "badge", text: "VIP" }) : null,
          customer.language ? h("span", { class: "meta", text: ` · ${customer.language}` }) : null),
        h("h3", { text: t("identities") }),
        h("ul", { class: "identities", id: "customer-identities" }, customer.identities.map((identity) => h("li", {},
          h("span", { class: "badge", text: identity.kind }),
          h("span", { text: identity.value })))),
        identityForm(),
        h("h3", { text: t("cases") }),
        h("ul", { class: "identities", id: "customer-cases" }, cases.map((kase) => h("li", { "data-case": kase.id },
          h("span", { class: "badge", text: kase.channel }),
          h("span", { text: kase.subject ?? kase.id.slice(0, 8) }),
          h("span", { class: "meta", text: ` · ${t(`status_${kase.status}`)}` })))),
        mine.length ? h("h3", { text: t("proposals") }) : null,
        mine.length ? h("ul", { class: "identities", id: "proposals" }, mine.map(proposalItem)) : null,
        merges.length ? h("h3", { text: t("merges") }) : null,
        merges.length ? h("ul", { class: "identities", id: "merges" }, merges.map(mergeItem)) : null,
      ];
      panel.replaceChildren(...parts.filter(Boolean));
    } catch (error) {
      failed(error);
    }
  }

  async function decide(path, done) {
    try {
      await api(path, { method: "POST" });
      notify(done);
      await load();
      onChange();
    } catch (error) {
      failed(error);
    }
  }

  // An agent who learns another way to reach the customer (they give their email on
  // LINE, say) links it: later contacts from it join this customer.
  function identityForm() {
    const kind = h("select", { id: "identity-kind" }, IDENTITY_KINDS.map((name) => h("option", { value: name, text: name })));
    const value = h("input", { id: "identity-value", required: true, maxlength: "320", autocomplete: "off" });
    const form = h("form", { class: "add-identity" },
      h("details", {}, h("summary", { text: t("addIdentity") }),
        h("label", { for: "identity-kind", text: t("identityKind") }), kind,
        h("label", { for: "identity-value", text: t("identityValue") }), value,
        h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", text: t("link") }))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api(`/v1/customers/${encodeURIComponent(customerId)}/identities`, {
          method: "POST",
          body: { kind: kind.value, value: value.value.trim() },
        });
        notify(t("identityLinked"));
        await load();
      } catch (error) {
        failed(error);
      }
    });
    return form;
  }

  function proposalItem(proposal) {
    const other = proposal.customer_ids.find((id) => id !== customerId) ?? "";
    const id = encodeURIComponent(proposal.id);
    return h("li", { "data-proposal": proposal.id },
      h("span", { text: t("sameAs", { other: other.slice(0, 8), reason: proposal.reason }) }),
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: () => decide(`/v1/merge-proposals/${id}/accept`, t("merged")), text: t("acceptMerge") }),
        h("button", { type: "button", class: "secondary", onclick: () => decide(`/v1/merge-proposals/${id}/dismiss`, t("dismissed")), text: t("dismiss") })));
  }

  function mergeItem(merge) {
    const id = encodeURIComponent(merge.id);
    return h("li", { "data-merge": merge.id, "data-state": merge.state },
      h("span", { text: t("mergeLine", { source: merge.source.slice(0, 8), target: merge.target.slice(0, 8), reason: merge.reason }) }),
      h("span", { class: "meta", text: ` · ${t(`merge_${merge.state}`)}` }),
      supervisor && merge.state === "active"
        ? h("div", { class: "actions" },
          h("button", { type: "button", class: "secondary", onclick: () => decide(`/v1/merges/${id}/undo`, t("unmerged")), text: t("unmerge") }))
        : null);
  }

  panel.append(h("summary", { text: t("customer") }));
  load();
  return panel;
}
