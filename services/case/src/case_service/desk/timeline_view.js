// One timeline entry on the page: messages (attachments, mail as sent in a sandboxed
// frame), replies with their status, notes, calls with recordings and transcripts.
// Everything a customer wrote is set as text; mail HTML only inside the frame.
import { api, download, session } from "./api.js";
import { failed, h, notify } from "./dom.js";
import { currentLanguage, t } from "./i18n.js";

export function entryText(entry) {
  return entry.interaction?.content?.text ?? entry.reply?.content?.text ?? entry.note?.text ?? entry.summary ?? "";
}

export function entryItem(entry) {
  const when = new Date(entry.occurred_at).toLocaleString(currentLanguage() === "ja" ? "ja-JP" : "en-GB");
  const status = entry.reply?.status;
  return h("li", { class: entry.direction === "outbound" ? "outbound" : undefined, "data-entry": entry.id, "data-kind": entry.kind },
    h("div", { class: "meta" },
      h("span", { class: "badge", text: entry.channel }),
      h("span", { class: "badge", text: entry.kind }),
      h("time", { datetime: entry.occurred_at, text: when }),
      status ? h("span", { class: `status-${status}`, "data-status": status, text: ` · ${t(status)}` }) : null,
      entry.reply?.error ? h("span", { class: "status-failed", text: ` (${entry.reply.error})` }) : null),
    subjectOf(entry),
    h("p", { class: "text", text: entryText(entry) }),
    mailOf(entry),
    attachmentsOf(entry),
    callOf(entry),
    approvalOf(entry));
}

// 承認: a supervisor approves a held reply (it goes now) or rejects it with a reason.
function approvalOf(entry) {
  if (entry.reply?.status !== "awaiting_approval" || session()?.role !== "supervisor") return null;
  const id = encodeURIComponent(entry.id);
  const reason = h("input", { id: `reject-${entry.id}`, maxlength: "1000", required: true });
  const decide = async (path, body, done) => {
    try {
      await api(path, { method: "POST", ...(body ? { body } : {}) });
      notify(done);
    } catch (error) {
      failed(error);
    }
  };
  const form = h("form", { class: "approval" },
    h("label", { for: reason.id, text: t("rejectReason") }), reason,
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => decide(`/v1/replies/${id}/approve`, null, t("replyApproved")), text: t("approve") }),
      h("button", { type: "submit", class: "secondary", text: t("reject") })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    decide(`/v1/replies/${id}/reject`, { reason: reason.value }, t("replyRejected"));
  });
  return form;
}

function subjectOf(entry) {
  const subject = entry.interaction?.content?.subject;
  return subject ? h("p", { class: "subject", text: subject }) : null;
}

// The mail as its sender laid it out: the HTML was sanitised when it arrived, and is
// shown only in a frame with no scripts, no forms, no same-origin access and this
// page's CSP (so no remote images: nothing tells the sender it was opened).
function mailOf(entry) {
  const html = entry.interaction?.content?.html;
  if (!html) return null;
  const shown = h("details", { class: "mail" }, h("summary", { text: t("showMail") }));
  shown.addEventListener("toggle", () => {
    if (!shown.open || shown.querySelector("iframe")) return;
    shown.append(h("iframe", { sandbox: "", srcdoc: html, title: t("mailAsSent"), referrerpolicy: "no-referrer" }));
  }, { once: false });
  return shown;
}

function attachmentsOf(entry) {
  const attachments = entry.interaction?.content?.attachments ?? [];
  if (!attachments.length) return null;
  return h("ul", { class: "attachments" }, attachments.map((attachment, n) => {
    const name = attachment.filename || `${t("attachment")} ${n + 1}`;
    const save = () => download(`/v1/entries/${encodeURIComponent(entry.id)}/attachments/${n}`, name).catch(failed);
    return h("li", {},
      h("button", { type: "button", class: "secondary", onclick: save, text: name }),
      h("span", { class: "meta", text: ` ${attachment.content_type}, ${Math.ceil(attachment.size / 1024)} KB` }));
  }));
}

function callOf(entry) {
  const call = entry.call;
  if (!call) return null;
  const recordings = Object.entries(call.recordings ?? {});
  const facts = [
    call.disposition ?? call.state,
    call.duration_seconds ? `${t("duration")} ${Math.round(call.duration_seconds)} s` : null,
    call.wait_seconds ? `${t("waitedFor")} ${Math.round(call.wait_seconds)} s` : null,
    recordings.length ? `${t("recorded")} (${recordings.length})` : null,
  ].filter(Boolean).join(" · ");
  return h("div", { class: "meta", "data-call": entry.id }, facts,
    recordings.map(([id, recording]) => recordingOf(id, recording)),
    call.transcript ? h("p", { class: "text", text: call.transcript }) : null);
}

// The provider keeps the audio; the player loads it only when the agent presses play.
function recordingOf(id, recording) {
  if (!recording?.url || !recording.url.startsWith("https://")) return null;
  const seconds = recording.duration_seconds ? ` (${recording.duration_seconds} s)` : "";
  return h("div", { class: "recording", "data-recording": id },
    h("audio", { controls: true, preload: "none", src: recording.url, "aria-label": `${t("recording")}${seconds}` }));
}
