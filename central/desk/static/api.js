// Central's API as the desk speaks it: JSON with the official's bearer token. The token
// lives in sessionStorage: gone when the tab closes, never sent by the browser on its own.

export const API = "/api/v1";

export const session = {
  token: sessionStorage.getItem("desk-token"),
  // What the page does when central says the token no longer works (logs out).
  whenUnauthorized: () => {},
};

export function keepToken(token) {
  session.token = token;
  if (token) sessionStorage.setItem("desk-token", token);
  else sessionStorage.removeItem("desk-token");
}

export async function api(method, path, body, contentType) {
  const headers = {};
  if (session.token) headers.Authorization = "Bearer " + session.token;
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers["Content-Type"] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(API + path, { method, headers, body: payload });
  await refused(response);
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.blob();
}

async function refused(response) {
  // Throws central's own words for an answer that is not a success (or a 304).
  if (response.status === 401) {
    session.whenUnauthorized();
    throw new Error("unauthorized");
  }
  if (!response.ok && response.status !== 304) {
    let message = response.statusText;
    try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
}

export async function poll(path, tag) {
  // A GET that sends the last answer's ETag back: { unchanged: true } when central says
  // nothing changed (304, no body: a fraction of a full answer's cost), else the answer
  // and its tag.
  const headers = {};
  if (session.token) headers.Authorization = "Bearer " + session.token;
  if (tag) headers["If-None-Match"] = tag;
  const response = await fetch(API + path, { headers, cache: "no-store" });
  await refused(response);
  if (response.status === 304) return { unchanged: true };
  return { body: await response.json(), tag: response.headers.get("ETag") };
}

export function logOutOfCentral() {
  // Ends the token at central too; the page forgets it whether or not central answers.
  if (session.token) {
    fetch(API + "/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + session.token } }).catch(() => {});
  }
  keepToken(null);
}
