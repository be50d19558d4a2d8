// The audit trail: who did what, when, to which record, old and new values, and why.
// Read-only for everyone; filters are sent to the API (nothing is filtered in the page).
import { get } from "../api.js";
import { append, clear, field, fmtTime, formValues, h, page, table } from "../ui.js";

const PAGE = 100;

function changesOf(rec) {
  const list = rec.changes || [];
  if (!list.length) return "—";
  return h("ul.changes", list.map((c) => {
    const [name, oldV, newV] = Array.isArray(c) ? c : [c.field, c.old, c.new];
    return h("li", h("code", name), `: ${oldV === null || oldV === undefined ? "∅" : JSON.stringify(oldV)} → ${newV === null || newV === undefined ? "∅" : JSON.stringify(newV)}`);
  }));
}

export async function render(main) {
  const results = h("div#audit-results", { "aria-live": "polite" });
  const form = h("form.card#audit-filters", { "aria-label": "Filter the audit trail" },
    h("div.form-row",
      field({ name: "user", label: "User" }),
      field({ name: "action", label: "Action", options: [["", "any"], "create", "update", "delete", "sign", "login", "logout", "login_failed"] }),
      field({ name: "entity", label: "Record type", help: "e.g. patient, screening, cycle, signature" }),
      field({ name: "entity_id", label: "Record id" }),
      field({ name: "since", label: "From (UTC)", type: "datetime-local" }),
      field({ name: "until", label: "To (UTC)", type: "datetime-local" })),
    h("div.actions", h("button.primary", { type: "submit" }, "Apply filters"), h("button", { type: "reset" }, "Clear")));

  let cursor = null;
  let rows = [];

  async function load(more) {
    const v = formValues(form);
    const q = new URLSearchParams({ limit: String(PAGE) });
    for (const k of ["user", "action", "entity", "entity_id"]) if (v[k]) q.set(k, v[k]);
    for (const k of ["since", "until"]) if (v[k]) q.set(k, v[k].length === 16 ? `${v[k]}:00Z` : `${v[k]}Z`);
    if (more && cursor) q.set("cursor", cursor);
    const data = await get(`audit?${q}`);
    rows = more ? rows.concat(data.items) : data.items;
    cursor = data.next_cursor;
    append(clear(results), [
      table(`Audit records (${rows.length}${cursor ? "+" : ""}), oldest first`, [
        { key: "seq", label: "#", numeric: true },
        { key: "at", label: "When", render: (r) => fmtTime(r.at) },
        { key: "user", label: "User", render: (r) => r.user || r.actor },
        { key: "action", label: "Action" },
        { key: "entity", label: "Record", render: (r) => `${r.entity} ${r.entity_id}` },
        { key: "changes", label: "Changes", render: changesOf },
        { key: "reason", label: "Reason", render: (r) => r.reason || "—" },
      ], rows, { id: "audit-table" }),
      cursor ? h("button#audit-more", { type: "button", on: { click: () => load(true) } }, "Load more") : null]);
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(false).catch(showError); });
  form.addEventListener("reset", () => setTimeout(() => load(false).catch(showError), 0));
  function showError(err) { clear(results).append(h("div.alert", { role: "alert" }, err.message)); }

  main.append(...page("Audit trail",
    h("p.muted", "Every change to trial data, sign-in and signature, append-only and hash-chained; nothing here can be edited."),
    form, results));
  await load(false);
}
