// Requests to the API with the session's bearer token, and server-sent events read from a fetch body: EventSource
// cannot send an Authorization header, and the API takes its token from that header only.
const TokenKey = "tenantrag.token";

let token = sessionStorage.getItem(TokenKey);
let signal = new AbortController();
let unauthorized = () => {};

/** The signed-in session: its token, and a signal that aborts everything it started when it ends. */
export const session = {
  get token() { return token; },
  get signal() { return signal.signal; },
  /** Starts a session with the token, or ends the current one (null): its requests and streams are aborted. */
  set(value) {
    signal.abort();
    signal = new AbortController();
    token = value || null;
    if (token) sessionStorage.setItem(TokenKey, token); else sessionStorage.removeItem(TokenKey);
  },
  /** What to do when the API refuses the token (401). */
  onUnauthorized(handler) { unauthorized = handler; },
};

/** A refused request: the problem's detail as the message, and its status. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** The detail of a problem+json body, or the status line. */
export function problemDetail(status, statusText, body) {
  try {
    const problem = JSON.parse(body);
    return problem.detail || problem.title || `${status} ${statusText}`.trim();
  } catch {
    return `${status} ${statusText}`.trim();
  }
}

/** fetch with the token; a 401 ends the session, any other failure throws an ApiError. */
export async function api(path, options = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${token}` }, options.headers || {});
  const response = await fetch(path, Object.assign({ signal: signal.signal }, options, { headers }));
  if (response.status === 401) {
    unauthorized("Your session expired or the token is not valid. Sign in again.");
    throw new ApiError("unauthorized", 401);
  }

  if (!response.ok) throw new ApiError(problemDetail(response.status, response.statusText, await response.text()), response.status);
  return response;
}

/** Reads a text/event-stream body to its end, calling onEvent(name, data) with each event's JSON data. */
export async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let boundary;
    while ((boundary = buffer.indexOf("\n\n")) >= 0) {
      const raw = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const name = /^event: ?(.*)$/m.exec(raw)?.[1] || "message";
      const data = raw.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(l.startsWith("data: ") ? 6 : 5)).join("\n");
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}
