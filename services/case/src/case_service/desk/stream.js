// GET /v1/events read with fetch, so the token travels in a header (EventSource cannot
// send one, and a token in a URL ends up in logs); reconnects with Last-Event-ID.
import { session } from "./api.js";

export function follow(onEvent, onTrouble) {
  const controller = new AbortController();
  let lastId = "";

  async function once() {
    const current = session();
    if (!current) return;
    const response = await fetch("/v1/events", {
      headers: {
        Accept: "text/event-stream",
        Authorization: `Bearer ${current.token}`,
        ...(lastId ? { "Last-Event-ID": lastId } : {}),
      },
      signal: controller.signal,
      cache: "no-store",
    });
    if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parse(frame);
        if (event.id) lastId = event.id;
        if (event.data !== undefined) onEvent(event.name || "message", event.data);
      }
    }
  }

  (async () => {
    while (!controller.signal.aborted) {
      try {
        await once();
      } catch (error) {
        if (controller.signal.aborted) return;
        onTrouble(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  })();
  return () => controller.abort();
}

function parse(frame) {
  const event = {};
  const data = [];
  for (const line of frame.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.name = value;
    else if (field === "id") event.id = value;
    else if (field === "data") data.push(value);
  }
  if (data.length) {
    try {
      event.data = JSON.parse(data.join("\n"));
    } catch {
      event.data = data.join("\n");
    }
  }
  return event;
}
