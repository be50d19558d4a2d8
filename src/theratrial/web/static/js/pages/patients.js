// The patients of the user's sites: site, last screening outcome, enrolments, a link to each
// patient's timeline (GET /patient-summaries, a page at a time).
import { get } from "../api.js";
import { badge, clear, field, h, page, table } from "../ui.js";

function screeningCell(items) {
  if (!items.length) return h("span.muted", "not screened");
  return h("ul.plain", items.map((s) => h("li", badge(s.verdict), " ", s.trial_id,
    h("span.muted", ` (${s.screening_date})`))));
}

function enrolmentCell(items) {
  if (!items.length) return h("span.muted", "none");
  return h("ul.plain", items.map((e) => h("li", `${e.trial_id}: ${e.cohort || "—"}`,
    e.withdrawn ? [" ", badge("withdrawn", "stop")] : null)));
}

export async function render(main, ctx) {
  const rows = [];
  const holder = h("div#patients-table");
  const more = h("button#more-patients", { type: "button", hidden: true }, "Show more patients");
  const filter = h("form.form-row#patient-filter", { role: "search", "aria-label": "Filter patients" },
    field({ name: "id_prefix", label: "Patient id starts with" }),
    h("div.actions", h("button", { type: "submit" }, "Filter")));
  let cursor = null;
  let prefix = "";

  async function load(reset) {
    if (reset) { rows.length = 0; cursor = null; }
    const q = new URLSearchParams({ limit: "50" });
    if (cursor) q.set("cursor", cursor);
    if (prefix) q.set("id_prefix", prefix);
    const data = await get(`patient-summaries?${q}`);
    rows.push(...data.items);
    cursor = data.next_cursor;
    more.hidden = !cursor;
    clear(holder).append(table(`Patients of ${ctx.me.all_sites ? "all sites" : ctx.me.sites.join(", ")} (${rows.length}${cursor ? "+" : ""})`, [
      { key: "patient_id", label: "Patient", render: (r) => h("a", { href: `#/patients/${encodeURIComponent(r.patient_id)}` }, r.patient_id) },
      { key: "site", label: "Site" },
      { key: "screenings", label: "Last screening outcome per trial", render: (r) => screeningCell(r.screenings) },
      { key: "enrolments", label: "Enrolments (trial: cohort)", render: (r) => enrolmentCell(r.enrolments) },
      { key: "timeline", label: "Timeline", render: (r) => h("a", { href: `#/patients/${encodeURIComponent(r.patient_id)}` }, h("span", "Timeline"), h("span.visually-hidden", ` of ${r.patient_id}`)) },
    ], rows, { id: "patients" }));
  }
  filter.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    prefix = filter.elements.id_prefix.value.trim();
    await load(true);
  });
  more.addEventListener("click", () => load(false));
  main.append(...page("Patients",
    ctx.can("write_patients") ? h("p", h("a", { href: "#/screening" }, "Enter or upload a new patient record")) : null,
    filter, holder, more));
  await load(true);
}
