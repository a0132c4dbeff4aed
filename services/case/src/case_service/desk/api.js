// The public case API with the signed-in agent's bearer token (kept in this tab only).
const SESSION = "cc-desk-session";

export function session() {
  const saved = sessionStorage.getItem(SESSION);
  return saved ? JSON.parse(saved) : null;
}

export function keepSession(value) {
  if (value) sessionStorage.setItem(SESSION, JSON.stringify(value));
  else sessionStorage.removeItem(SESSION);
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function api(path, options = {}) {
  return (await apiResponse(path, options)).data;
}

// The payload and the response's headers (an ETag to send back in If-Match).
export async function apiResponse(path, { method = "GET", body, headers = {} } = {}) {
  const current = session();
  const response = await fetch(path, {
    method,
    headers: {
      Accept: "application/json",
      ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      ...(current ? { Authorization: `Bearer ${current.token}` } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    cache: "no-store",
  });
  const text = await response.text();
  const payload = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, payload);
  return { data: payload, headers: response.headers };
}

// A file behind the API (an attachment), fetched with the token and saved by the browser.
export async function download(path, filename) {
  const current = session();
  const response = await fetch(path, {
    headers: current ? { Authorization: `Bearer ${current.token}` } : {},
    cache: "no-store",
  });
  if (!response.ok) throw new ApiError(response.status, null);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
