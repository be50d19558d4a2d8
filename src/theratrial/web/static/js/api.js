// The REST API client of the pages: JSON in and out, the session cookie, the CSRF token on
// every write, and problem details (RFC 9457) turned into an ApiError with per-field errors.
export const API = "/api/v1";
let csrfToken = null;

export function setCsrf(token) {
  csrfToken = token || null;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.errors = (problem && Array.isArray(problem.errors)) ? problem.errors : [];
    this.hint = problem && problem.hint;
  }
  // The message for one form field (the API names fields as "a.b[0].c").
  fieldMessage(name) {
    const hit = this.errors.find((e) => e.field === name || (e.field || "").endsWith(`.${name}`));
    return hit ? hit.message : null;
  }
}

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export async function request(method, path, { json, body, headers = {}, raw = false, signal } = {}) {
  const h = { Accept: "application/json", ...headers };
  let payload = body;
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  }
  if (!SAFE.has(method) && csrfToken) h["X-CSRF-Token"] = csrfToken;
  const response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, {
    method, headers: h, body: payload, credentials: "same-origin", signal,
  });
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { problem = null; }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const get = (path, opts) => request("GET", path, opts);
export const post = (path, json, opts = {}) => request("POST", path, { ...opts, json });
export const del = (path, opts) => request("DELETE", path, opts);

// Upload with progress (fetch has no upload progress): XMLHttpRequest, same CSRF rule.
export function upload(path, blob, { onProgress, contentType = "application/octet-stream", headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path.startsWith("/") ? path : `${API}/${path}`);
    xhr.setRequestHeader("Content-Type", contentType);
    xhr.setRequestHeader("Accept", "application/json");
    if (csrfToken) xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (onProgress && e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new ApiError(xhr.status, data));
    };
    xhr.onerror = () => reject(new ApiError(0, { detail: "the server could not be reached" }));
    xhr.send(blob);
  });
}
