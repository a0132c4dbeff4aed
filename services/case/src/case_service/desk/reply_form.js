// The reply box: the channel (the case's, or another the customer wrote on), WhatsApp's
// 24-hour rule told before sending with the tenant's approved templates outside it,
// one idempotency key per text, the agent's typing announced, Ctrl+Enter to send.
import { api, ApiError } from "./api.js";
import { markPresence } from "./case_presence.js";
import { failed, h, notify } from "./dom.js";
import { currentLanguage, t } from "./i18n.js";

const ANSWERABLE = new Set(["webchat", "email", "line", "messenger", "instagram", "whatsapp", "sms", "telegram"]);
const WHATSAPP_WINDOW_MS = 24 * 3600 * 1000;
let templates = null; // the tenant's approved templates, read once a page load

export function replyForm(task, { onSent }) {
  const caseId = task.case_id;
  const channel = h("select", { id: "reply-channel", name: "channel" },
    h("option", { value: "", text: t("caseChannel", { channel: task.channel ?? "" }) }));
  const text = h("textarea", { id: "reply-text", name: "text", rows: "3", required: true, "aria-describedby": "reply-rule" });
  const rule = h("p", { id: "reply-rule", class: "meta", "aria-live": "polite" });
  const picker = templatePicker(text);
  // Shown when a colleague is drafting on the case: sending then is a deliberate act.
  const takeover = h("button", { type: "button", class: "secondary", hidden: true, text: t("takeOverAndSend") });
  let takingOver = false;
  takeover.addEventListener("click", () => { takingOver = true; form.requestSubmit(); });
  const macros = macroPicker(caseId, text);
  const form = h("form", { class: "reply" },
    h("p", { id: "customer-typing", class: "meta", "aria-live": "polite" }),
    macros.node,
    h("label", { for: "reply-text", text: t("reply") }),
    text,
    h("label", { for: "reply-channel", text: t("channel") }),
    channel,
    rule,
    picker.node,
    h("div", { class: "actions" }, h("button", { type: "submit", text: t("send") }), takeover, h("span", { class: "meta", text: t("sendKeys") })));
  let kase = null; // the case as read: its channel and when the customer last wrote
  let key = crypto.randomUUID(); // the same key when retrying this text: sent once
  let typingSent = 0;

  function showRule() {
    const chosen = channel.value || kase?.channel || task.channel;
    rule.textContent = "";
    picker.show(false);
    if (chosen !== "whatsapp") return;
    const last = kase?.channel === "whatsapp" && kase.last_inbound_at ? Date.parse(kase.last_inbound_at) : null;
    if (last !== null && Date.now() - last < WHATSAPP_WINDOW_MS) {
      const until = new Date(last + WHATSAPP_WINDOW_MS).toLocaleString(currentLanguage() === "ja" ? "ja-JP" : "en-GB");
      rule.textContent = t("windowOpen", { until });
      return;
    }
    rule.textContent = last === null ? t("windowUnknown") : t("windowClosed");
    picker.show(true, { required: last !== null });
  }

  let draftingSent = 0;
  text.addEventListener("input", () => {
    key = crypto.randomUUID();
    if (caseId && Date.now() - draftingSent > 10_000) {
      draftingSent = Date.now(); // colleagues see this agent drafting
      markPresence(caseId, "drafting");
    }
    if (caseId && Date.now() - typingSent > 3000) {
      // At most every few seconds: the visitor sees "typing" until the reply or a pause.
      typingSent = Date.now();
      api(`/v1/cases/${encodeURIComponent(caseId)}/typing`, { method: "POST", body: { active: true } }).catch(() => {});
    }
  });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  channel.addEventListener("change", showRule);
  picker.onChange(() => { key = crypto.randomUUID(); });
  macros.onChange(() => { key = crypto.randomUUID(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!caseId) return notify(t("notStored"));
    const template = picker.chosen();
    const macro = macros.chosen();
    if (!macro && !text.value.trim()) return notify(t("writeSomething"), { error: true });
    try {
      if (macro) {
        // The macro's reply (as the agent left it) and its case changes, in one step.
        await api(`/v1/cases/${encodeURIComponent(caseId)}/macros/${encodeURIComponent(macro.id)}/apply`, {
          method: "POST",
          body: {
            ...(text.value ? { text: text.value } : {}),
            ...(channel.value ? { channel: channel.value } : {}),
            ...(takingOver ? { takeover: true } : {}),
          },
          headers: { "Idempotency-Key": key },
        });
        sent();
        text.value = "";
        macros.reset();
        key = crypto.randomUUID();
        notify(t("macroApplied", { title: macro.title }));
        return onSent();
      }
      await api(`/v1/cases/${encodeURIComponent(caseId)}/replies`, {
        method: "POST",
        body: {
          text: text.value,
          ...(channel.value ? { channel: channel.value } : {}),
          ...(template ? { template } : {}),
          ...(takingOver ? { takeover: true } : {}),
        },
        headers: { "Idempotency-Key": key },
      });
      sent();
      text.value = "";
      picker.reset();
      key = crypto.randomUUID();
      notify(t("replySent"));
      onSent();
    } catch (error) {
      takingOver = false;
      if (error instanceof ApiError && error.problem?.holders) {
        takeover.hidden = false; // a colleague is drafting: the agent decides
        notify(t("colleagueDraftingNow", { agent: error.problem.holders.join(", ") }), { error: true });
      } else {
        failed(error);
      }
    }
  });
  function sent() {
    takingOver = false;
    takeover.hidden = true;
    markPresence(caseId, "viewing");
  }
  form.drafting = () => text.value.trim() !== "";
  form.fill = (filled) => { // an article's text, to edit before sending
    text.value = filled;
    key = crypto.randomUUID();
    text.focus();
  };
  if (caseId) {
    api(`/v1/cases/${encodeURIComponent(caseId)}`).then((read) => { kase = read; showRule(); }).catch(failed);
  }
  // Other channels the customer has written on: a reply can go there instead.
  if (task.customer_id) {
    api(`/v1/customers/${encodeURIComponent(task.customer_id)}/cases`).then((cases) => {
      const used = [...new Set(cases.map((other) => other.channel))]
        .filter((name) => ANSWERABLE.has(name) && name !== (kase?.channel ?? task.channel));
      channel.append(...used.map((name) => h("option", { value: name, text: name })));
    }).catch(failed);
  }
  return form;
}

// Choosing an approved template fills the reply with its wording and asks for its
// parameters; what is sent is the template (the text is what the timeline shows).
function templatePicker(text) {
  const select = h("select", { id: "reply-template", name: "template" }, h("option", { value: "", text: t("noTemplate") }));
  const parameters = h("div", { class: "template-parameters" });
  const node = h("div", { class: "template", hidden: true },
    h("label", { for: "reply-template", text: t("template") }), select, parameters);
  let changed = () => {};

  function approved() {
    return templates?.find((known) => `${known.name}|${known.language}` === select.value) ?? null;
  }

  function fill() {
    const known = approved();
    if (!known) return;
    const values = [...parameters.querySelectorAll("input")].map((input) => input.value);
    text.value = known.text.replace(/\{\{(\d+)\}\}/g, (_, n) => values[Number(n) - 1] || `{{${n}}}`);
  }

  select.addEventListener("change", () => {
    const known = approved();
    parameters.replaceChildren(...Array.from({ length: known?.parameters ?? 0 }, (_, n) => {
      const input = h("input", { id: `template-parameter-${n + 1}`, required: true, maxlength: "1024" });
      input.addEventListener("input", () => { fill(); changed(); });
      return h("div", {}, h("label", { for: input.id, text: t("templateParameter", { n: n + 1 }) }), input);
    }));
    fill();
    changed();
  });

  return {
    node,
    async show(visible, { required = false } = {}) {
      node.hidden = !visible;
      select.required = visible && required;
      if (!visible) { select.value = ""; parameters.replaceChildren(); return; }
      if (templates === null) templates = await api("/v1/reply-templates").catch((error) => { failed(error); return []; });
      select.replaceChildren(h("option", { value: "", text: t("noTemplate") }),
        ...templates.map((known) => h("option", { value: `${known.name}|${known.language}`, text: `${known.name} (${known.language})` })));
    },
    chosen() {
      const known = node.hidden ? null : approved();
      if (!known) return null;
      return { name: known.name, language: known.language, parameters: [...parameters.querySelectorAll("input")].map((input) => input.value) };
    },
    reset() { select.value = ""; parameters.replaceChildren(); },
    onChange(callback) { changed = callback; },
  };
}

// Macros (定型文): choosing one fills the reply with its text for this case (to edit
// before sending) and says what else it changes; sending applies it.
let offeredMacros = null; // read once a page load

function macroPicker(caseId, text) {
  const select = h("select", { id: "reply-macro", name: "macro" }, h("option", { value: "", text: t("noMacro") }));
  const effects = h("p", { class: "meta", id: "macro-effects", "aria-live": "polite" });
  const node = h("div", { class: "macro", hidden: true }, h("label", { for: "reply-macro", text: t("macro") }), select, effects);
  let changed = () => {};
  const chosen = () => offeredMacros?.find((macro) => macro.id === select.value) ?? null;

  (async () => {
    offeredMacros ??= await api("/v1/macros").catch((error) => { failed(error); return null; });
    node.hidden = !offeredMacros?.length;
    select.append(...(offeredMacros ?? []).map((macro) => h("option", { value: macro.id, text: macro.title })));
  })();
  select.addEventListener("change", async () => {
    const macro = chosen();
    effects.textContent = macro ? describe(macro.actions) : "";
    changed();
    if (!macro || !caseId) return;
    try {
      const filled = await api(`/v1/cases/${encodeURIComponent(caseId)}/macros/${encodeURIComponent(macro.id)}/preview`, { method: "POST" });
      text.value = filled.text ?? "";
    } catch (error) {
      failed(error);
    }
  });
  return {
    node,
    chosen,
    reset() { select.value = ""; effects.textContent = ""; },
    onChange(callback) { changed = callback; },
  };
}

function describe(actions = {}) {
  const parts = [
    actions.status ? `${t("status")}: ${t(`status_${actions.status}`)}` : null,
    actions.priority ? `${t("priority")}: ${t(`priority_${actions.priority}`)}` : null,
    actions.queue ? `${t("caseQueue")}: ${actions.queue}` : null,
    actions.assignee_id ? `${t("assignee")}: ${actions.assignee_id === "me" ? t("me") : actions.assignee_id}` : null,
    actions.add_tags?.length ? `+ ${actions.add_tags.join(", ")}` : null,
    actions.remove_tags?.length ? `− ${actions.remove_tags.join(", ")}` : null,
  ].filter(Boolean);
  return parts.length ? t("macroAlso", { changes: parts.join(" · ") }) : "";
}
