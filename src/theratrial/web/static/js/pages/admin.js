// Admin: the accounts (role, sites, state) and the sites; create, and disable an account.
import { ApiError, get, post } from "../api.js";
import { clear, field, fmt, fmtTime, formValues, h, markErrors, page, table, toast } from "../ui.js";

export async function render(main, ctx) {
  const [users, sites] = await Promise.all([get("users"), get("sites")]);
  const siteCodes = (sites.items || []).map((s) => s.code);
  const usersBox = h("div");
  const sitesBox = h("div");

  function drawUsers(list) {
    clear(usersBox).append(table("Accounts", [
      { key: "username", label: "User" },
      { key: "role", label: "Role" },
      { key: "sites", label: "Sites", render: (u) => (u.sites || []).join(", ") || "—" },
      { key: "state", label: "State", render: (u) => (u.disabled ? "disabled" : u.locked_until ? `locked until ${fmtTime(u.locked_until)}` : "active") },
      { key: "last_login_at", label: "Last sign-in", render: (u) => (u.last_login_at ? fmtTime(u.last_login_at) : "never") },
      { key: "actions", label: "Actions", render: (u) => (u.disabled || u.username === ctx.me.username ? "" :
        h("button.danger", { type: "button", "aria-label": `Disable ${u.username}`, on: { click: () => disable(u.username) } }, "Disable")) },
    ], list, { id: "users-table" }));
  }

  function drawSites(list) {
    clear(sitesBox).append(table("Sites", [
      { key: "code", label: "Code" },
      { key: "name", label: "Name", render: (s) => s.name || "—" },
    ], list, { id: "sites-table" }));
  }

  async function disable(username) {
    if (!window.confirm(`Disable ${username}? Their sessions and tokens stop working.`)) return;
    try {
      await post(`users/${encodeURIComponent(username)}/disable`);
      toast(`${username} disabled`);
      drawUsers((await get("users")).items);
    } catch (err) { toast(err.message, "error"); }
  }

  const userForm = h("form.card#new-user", { "aria-labelledby": "new-user-title", novalidate: true },
    h("h2#new-user-title", "New account"),
    h("div.form-row",
      field({ name: "username", label: "User name", required: true }),
      field({ name: "role", label: "Role", options: users.roles, required: true }),
      field({ name: "sites", label: "Sites (comma-separated codes)", help: `Known: ${siteCodes.join(", ") || "none"}; a new code creates the site` }),
      field({ name: "password", label: "Initial password", type: "password", required: true, attrs: { autocomplete: "new-password" } })),
    h("button.primary", { type: "submit" }, "Create account"));
  userForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = formValues(userForm);
    const body = { username: v.username || "", role: v.role, password: v.password || "",
      sites: (v.sites || "").split(",").map((s) => s.trim()).filter(Boolean) };
    try {
      await post("users", body);
      toast(`account ${body.username} created`);
      userForm.reset();
      drawUsers((await get("users")).items);
      drawSites((await get("sites")).items);
    } catch (err) {
      if (err instanceof ApiError) markErrors(userForm, err); else throw err;
    }
  });

  const siteForm = h("form.card#new-site", { "aria-labelledby": "new-site-title", novalidate: true },
    h("h2#new-site-title", "New site"),
    h("div.form-row",
      field({ name: "code", label: "Site code", required: true, help: "letters, digits, . _ -" }),
      field({ name: "name", label: "Name" })),
    h("button.primary", { type: "submit" }, "Create site"));
  siteForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const v = formValues(siteForm);
    try {
      await post("sites", { code: v.code || "", name: v.name });
      toast(`site ${v.code} created`);
      siteForm.reset();
      drawSites((await get("sites")).items);
    } catch (err) {
      if (err instanceof ApiError) markErrors(siteForm, err); else throw err;
    }
  });

  drawUsers(users.items);
  drawSites(sites.items || []);
  main.append(...page("Users and sites",
    h("p.muted", `${fmt(users.items.length)} accounts; each role sees the patients of its own sites (admin and sponsor: all sites).`),
    usersBox, userForm, sitesBox, siteForm));
}
