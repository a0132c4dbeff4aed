// The open case's fields, edited with its ETag (a colleague's change is never
// overwritten: 412 says so and shows theirs), and internal notes.
import { api, ApiError, apiResponse } from "./api.js";
import { failed, h, notify } from "./dom.js";
import { t } from "./i18n.js";

const STATUSES = ["new", "open", "pending", "on_hold", "solved", "closed"];
const PRIORITIES = ["low", "normal", "high", "urgent"];

function typed(text, kind) {
  if ((kind === "number" || kind === "new") && text.trim() !== "" && Number.isFinite(Number(text))) return Number(text);
  if ((kind === "boolean" || kind === "new") && (text === "true" || text === "false")) return text === "true";
  return text;
}

export function casePanel(caseId, onChange) {
  const status = h("select", { id: "case-status", name: "status" },
    STATUSES.map((name) => h("option", { value: name, text: t(`status_${name}`) })));
  const priority = h("select", { id: "case-priority", name: "priority" },
    PRIORITIES.map((name) => h("option", { value: name, text: t(`priority_${name}`) })));
  const tags = h("input", { id: "case-tags", name: "tags", autocomplete: "off" });
  const queue = h("input", { id: "case-queue", name: "queue", autocomplete: "off", maxlength: "63" });
  const assignee = h("input", { id: "case-assignee", name: "assignee", autocomplete: "off", maxlength: "128" });
  const custom = h("div", { id: "custom-fields" });
  const newName = h("input", { id: "custom-new-name", autocomplete: "off", pattern: "[A-Za-z][A-Za-z0-9_]{0,63}", maxlength: "64" });
  const newValue = h("input", { id: "custom-new-value", autocomplete: "off", maxlength: "2000" });
  const fields = h("form", { class: "case-fields", id: "case-fields", "aria-labelledby": "fields-title" },
    h("h3", { id: "fields-title", text: t("caseFields") }),
    h("label", { for: "case-status", text: t("status") }), status,
    h("label", { for: "case-priority", text: t("priority") }), priority,
    h("label", { for: "case-tags", text: t("tags") }), tags,
    h("label", { for: "case-queue", text: t("caseQueue") }), queue,
    h("label", { for: "case-assignee", text: t("assignee") }), assignee,
    h("fieldset", { class: "custom" },
      h("legend", { text: t("customFields") }), custom,
      h("label", { for: "custom-new-name", text: t("newFieldName") }), newName,
      h("label", { for: "custom-new-value", text: t("newFieldValue") }), newValue),
    h("div", { class: "actions" }, h("button", { type: "submit", text: t("save") })));
  let etag = null;
  let loaded = {}; // the fields as read: only what the agent changed is sent

  async function load() {
    try {
      const { data, headers } = await apiResponse(`/v1/cases/${encodeURIComponent(caseId)}`);
      etag = headers.get("ETag");
      fields.dataset.version = String(data.version); // read: edits now apply to this version
      loaded = {
        status: data.status,
        priority: data.priority,
        tags: (data.tags ?? []).join(", "),
        queue: data.queue ?? "",
        assignee: data.assignee_id ?? "",
        custom: data.custom_fields ?? {},
      };
      custom.replaceChildren(...Object.entries(loaded.custom).map(([name, value]) => h("div", {},
        h("label", { for: `custom-${name}`, text: name }),
        h("input", { id: `custom-${name}`, "data-field": name, value: String(value ?? ""), maxlength: "2000" }))));
      newName.value = "";
      newValue.value = "";
      status.value = loaded.status;
      priority.value = loaded.priority;
      tags.value = loaded.tags;
      queue.value = loaded.queue;
      assignee.value = loaded.assignee;
    } catch (error) {
      failed(error);
    }
  }

  fields.addEventListener("submit", async (event) => {
    event.preventDefault();
    const patch = {};
    if (status.value !== loaded.status) patch.status = status.value;
    if (priority.value !== loaded.priority) patch.priority = priority.value;
    if (tags.value !== loaded.tags) patch.tags = tags.value.split(",").map((tag) => tag.trim()).filter(Boolean);
    if (queue.value !== loaded.queue && queue.value.trim()) patch.queue = queue.value.trim();
    if (assignee.value !== loaded.assignee && assignee.value.trim()) patch.assignee_id = assignee.value.trim();
    const changedFields = customChanges();
    if (Object.keys(changedFields).length) patch.custom_fields = changedFields;
    if (!Object.keys(patch).length) return notify(t("nothingChanged"));
    try {
      await apiResponse(`/v1/cases/${encodeURIComponent(caseId)}`, {
        method: "PATCH",
        body: patch,
        headers: { "If-Match": etag ?? "" },
      });
      notify(t("saved"));
      await load(); // the saved case, its version and custom fields as stored
      onChange();
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) {
        notify(t("conflict"), { error: true });
        await load(); // the colleague's version, to edit again
      } else {
        failed(error);
      }
    }
  });

  // Changed custom fields (emptied: cleared), read back in the type they had; a new
  // one as typed (a number or true/false becomes one).
  function customChanges() {
    const changes = {};
    for (const input of custom.querySelectorAll("input[data-field]")) {
      const before = loaded.custom[input.dataset.field];
      if (input.value === String(before ?? "")) continue;
      changes[input.dataset.field] = input.value === "" ? null : typed(input.value, typeof before);
    }
    if (newName.value.trim() && newValue.value !== "") changes[newName.value.trim()] = typed(newValue.value, "new");
    return changes;
  }

  const note = h("textarea", { id: "note-text", name: "note", rows: "2", required: true });
  const notes = h("form", { class: "note" },
    h("label", { for: "note-text", text: t("internalNote") }), note,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", text: t("addNote") })));
  notes.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(`/v1/cases/${encodeURIComponent(caseId)}/notes`, { method: "POST", body: { text: note.value } });
      note.value = "";
      onChange();
    } catch (error) {
      failed(error);
    }
  });

  load();
  const panel = h("div", { class: "case-panel" }, fields, notes);
  panel.reload = load; // after a macro changed the case
  return panel;
}
