// Building the page: elements from data (text only, never HTML) and notices.
import { ApiError } from "./api.js";

export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function notify(message, { error = false } = {}) {
  const notice = h("p", { class: error ? "error" : undefined, text: message });
  document.getElementById("notice").append(notice);
  setTimeout(() => notice.remove(), 6000);
}

export function failed(error) {
  notify(error instanceof ApiError ? `${error.status}: ${error.message}` : String(error), { error: true });
}

