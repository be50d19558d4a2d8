// The shell of the web application: sign-in, the navigation for the user's role, and the
// hash router that loads one page module per route (js/pages/NAME.js, export render(main, ctx)).
import { ApiError, get, post, setCsrf } from "./api.js";
import { clear, errorBox, field, h, markErrors, page } from "./ui.js";

// [address pattern, page module (js/pages/NAME.js)]
const ROUTES = [
  [/^\/$/, "home"],
  [/^\/trials\/([^/]+)$/, "dashboard"],
  [/^\/trials\/([^/]+)\/escalation$/, "escalation"],
  [/^\/screening$/, "screening"],
  [/^\/patients$/, "patients"],
  [/^\/patients\/([^/]+)$/, "patient"],
  [/^\/patients\/([^/]+)\/cycles\/(\d+)\/dosimetry$/, "dosimetry"],
  [/^\/viewer$/, "viewer"],
  [/^\/viewer\/([^/]+)$/, "viewer"],
  [/^\/analyses$/, "analyses"],
  [/^\/jobs$/, "jobs"],
  [/^\/audit$/, "audit"],
  [/^\/admin$/, "admin"],
];

// The navigation: [address, label, the action the role needs to see it (the API's table)]
const NAV = [
  ["/", "Trials", "read_trials"],
  ["/screening", "Screening", "screen"],
  ["/patients", "Patients", "read_patients"],
  ["/viewer", "Images", "read_imaging"],
  ["/analyses", "Analyses", "read_patients"],
  ["/jobs", "Jobs", "run_jobs"],
  ["/audit", "Audit trail", "read_audit"],
  ["/admin", "Admin", "manage_users"],
];

export const state = { me: null };

export function can(action) {
  return Boolean(state.me && state.me.can.includes(action));
}

export function navigate(path) {
  if (location.hash === `#${path}`) route();
  else location.hash = path;
}

function renderNav() {
  const nav = clear(document.getElementById("nav"));
  const who = clear(document.getElementById("who"));
  if (!state.me) return;
  const here = location.hash.slice(1) || "/";
  nav.append(h("ul", NAV.filter((n) => can(n[2])).map(([path, label]) => {
    const current = here === path || (path !== "/" && here.startsWith(path));
    return h("li", h("a", { href: `#${path}`, "aria-current": current ? "page" : null }, label));
  })));
  const sites = state.me.all_sites ? "all sites" : (state.me.sites.join(", ") || "no site");
  who.append(
    h("span.user", { title: "signed in" }, state.me.username),
    h("span.role", state.me.role),
    h("span.sites", sites),
    h("button.link#sign-out", { type: "button", on: { click: signOut } }, "Sign out"),
  );
}

async function signOut() {
  try { await post("auth/logout"); } catch { /* the session is gone either way */ }
  state.me = null;
  setCsrf(null);
  navigate("/login");
}

function renderLogin(main, reason) {
  document.title = "Sign in · theratrial";
  const form = h("form.card.login", { "aria-labelledby": "login-title", novalidate: true },
    h("h1#login-title", "Sign in"),
    reason ? h("p.muted", reason) : null,
    field({ name: "username", label: "User name", required: true, attrs: { autocomplete: "username" } }),
    field({ name: "password", label: "Password", type: "password", required: true, attrs: { autocomplete: "current-password" } }),
    h("button.primary", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      const me = await post("auth/login", { username: data.username, password: data.password });
      setCsrf(me.csrf_token);
      state.me = await get("auth/me");
      navigate("/");
    } catch (err) {
      if (err instanceof ApiError) markErrors(form, err);
      else throw err;
    }
  });
  main.append(form);
  form.querySelector("input").focus();
}

async function loadMe() {
  try {
    state.me = await get("auth/me");
    setCsrf(state.me.csrf_token);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    state.me = null;
  }
}

let seq = 0;
export async function route() {
  const mine = ++seq;
  const main = clear(document.getElementById("main"));
  const path = location.hash.slice(1) || "/";
  if (state.me === null) await loadMe();
  if (mine !== seq) return;
  renderNav();
  if (!state.me || path === "/login") {
    if (state.me && path === "/login") { navigate("/"); return; }
    renderLogin(main, path === "/login" ? null : "Sign in to continue.");
    return;
  }
  const hit = ROUTES.find(([re]) => re.test(path));
  if (!hit) {
    main.append(...page("Not found", h("p", "No page at this address. "), h("a", { href: "#/" }, "Back to the trials")));
    return;
  }
  const [re, name] = hit;
  const params = re.exec(path).slice(1).map(decodeURIComponent);
  // each visit renders into its own container: a page still awaiting data when the user
  // moves on writes into a container that is no longer in the document
  const view = h("div.view");
  main.append(view);
  const current = () => mine === seq;
  try {
    const mod = await import(`./pages/${name}.js`);
    if (!current()) return;
    main.setAttribute("aria-busy", "true");
    await mod.render(view, { me: state.me, params, navigate, can, path, current });
  } catch (err) {
    if (!current()) return;
    if (err instanceof ApiError && err.status === 401) { state.me = null; renderNav(); clear(main); renderLogin(main, "Your session ended; sign in again."); return; }
    view.append(errorBox(err));
    console.error(err);
  } finally {
    if (current()) {
      main.removeAttribute("aria-busy");
      document.documentElement.dataset.rendered = String(mine);  // tests wait on this
    }
  }
  if (mine === seq) main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
route();
