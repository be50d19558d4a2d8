// The trial dashboard: screening funnel, enrolment, cycles and their windows, cumulative organ
// doses against the limits, DLTs and the design's current decision. Every number comes from
// GET /api/v1/trials/{id}/dashboard (the store and the planner compute them; nothing here).
import { get } from "../api.js";
import { badge, fmt, h, page, table } from "../ui.js";
import { designRule } from "./escalation.js";

const QUANTITY = { absorbed_dose_gy: "absorbed dose", bed_gy: "BED", rbe_weighted_dose_gy: "RBE-weighted dose" };

function stat(value, label, id) {
  return h("div.stat", id ? { id } : {}, h("span.value", String(value)), h("span.label", label));
}

// A horizontal bar whose length is value/max; the text says the numbers (colour is not the signal).
function meter(value, max, text, { over = false } = {}) {
  const fill = h("span");
  fill.style.width = `${Math.max(0, Math.min(100, max > 0 ? (100 * value) / max : 0))}%`;
  return h("div.meter",
    h("div", { class: over ? "bar over" : "bar", role: "img", "aria-label": text }, fill),
    h("span.meter-text", text));
}

function funnelSection(d) {
  const f = d.funnel;
  const steps = [
    ["Screened", f.screened], ["Eligible", f.eligible], ["Incomplete", f.incomplete],
    ["Ineligible", f.ineligible],
  ];
  const t = d.trial_totals;
  return h("section.card#funnel", { "aria-labelledby": "funnel-h" },
    h("h2#funnel-h", "Screening funnel"),
    h("p.muted", `Patients by their newest screening, ${d.scope}; incomplete: data missing to decide.`),
    h("div.stats", steps.map(([label, n], i) => stat(n, `${label} (patients)`, `funnel-${i}`))),
    h("div.funnel", steps.map(([label, n]) => h("div.funnel-row",
      h("span.funnel-label", label), meter(n, Math.max(1, f.screened), `${n} of ${f.screened} patients`)))),
    table("Ineligible patients by reason (criterion not met)", [
      { key: "criterion_id", label: "Criterion" },
      { key: "label", label: "Requirement" },
      { key: "patients", label: "Patients", numeric: true },
    ], f.reasons, { id: "reasons" }),
    h("p.note", `All sites together: ${t.screened} patients screened, ${t.eligible} eligible, ${t.enrolled} enrolled (counts only).`));
}

function enrolmentSection(d) {
  const e = d.enrolment;
  return h("section.card#enrolment", { "aria-labelledby": "enrol-h" },
    h("h2#enrol-h", "Enrolment"),
    h("div.trial-two",
      table("Enrolled by cohort", [
        { key: "cohort", label: "Cohort" }, { key: "patients", label: "Patients", numeric: true },
      ], e.by_cohort, { id: "by-cohort" }),
      table("Enrolled by site", [
        { key: "site", label: "Site" }, { key: "patients", label: "Patients", numeric: true },
      ], e.by_site, { id: "by-site" })),
    e.withdrawn ? h("p.muted", `${e.withdrawn} withdrawn (not counted above).`) : null,
    table("Enrolled patients", [
      { key: "patient_id", label: "Patient", render: (r) => h("a", { href: `#/patients/${encodeURIComponent(r.patient_id)}` }, r.patient_id) },
      { key: "site", label: "Site", render: (r) => r.site || "—" },
      { key: "cohort", label: "Cohort", render: (r) => r.cohort || "—" },
      { key: "consent_date", label: "Consent", render: (r) => r.consent_date },
      { key: "withdrawn_date", label: "Status", render: (r) => (r.withdrawn_date ? badge(`withdrawn ${r.withdrawn_date}`, "stop") : badge("on study", "ok")) },
    ], e.patients, { id: "enrolled" }));
}

function windowText(w) {
  if (!w) return "—";
  return w.earliest === w.latest ? w.nominal : `${w.earliest} to ${w.latest} (nominal ${w.nominal})`;
}

function cyclesSection(d) {
  const s = d.schedule;
  return h("section.card#cycles", { "aria-labelledby": "cycles-h" },
    h("h2#cycles-h", "Cycles given and due"),
    s ? h("p.muted", `One cycle every ${fmt(s.interval_weeks, "weeks")}, ${s.window_min_weeks === s.window_max_weeks ? `exactly ${fmt(s.window_min_weeks, "weeks")} after the previous one (no window)` : `window ${fmt(s.window_min_weeks)} to ${fmt(s.window_max_weeks, "weeks")} after the previous one`}, at most ${s.max_cycles} cycles.`) : h("p.muted", "The protocol states no schedule."),
    table("Cycles per patient", [
      { key: "patient_id", label: "Patient", render: (r) => h("a", { href: `#/patients/${encodeURIComponent(r.patient_id)}` }, r.patient_id) },
      { key: "cycles_given", label: "Cycles given", numeric: true },
      { key: "activity_mbq", label: "Activity per cycle", unit: "MBq", render: (r) => r.activity_mbq.map((a) => fmt(a)).join(", ") },
      { key: "given", label: "Given on", render: (r) => r.windows.filter((w) => w.given).map((w) => `C${w.cycle} ${w.given}${w.in_window === false ? " (outside window)" : ""}`).join("; ") || "—" },
      { key: "next", label: "Next cycle", render: (r) => (r.next ? `C${r.next.cycle}` : (r.note || "none (all given)")) },
      { key: "window", label: "Window", render: (r) => windowText(r.next) },
      { key: "state", label: "State", render: (r) => (r.next ? badge(r.next.state, { due: "warning", overdue: "stop", planned: "queued" }[r.next.state] || "ok") : "—") },
    ], d.cycles, { id: "cycle-table" }));
}

function dosesSection(d) {
  const rows = [];
  for (const p of d.organ_doses) {
    for (const l of p.limits) rows.push({ patient_id: p.patient_id, ...l });
  }
  const organs = [];
  for (const p of d.organ_doses) for (const o of p.organs) organs.push({ patient_id: p.patient_id, ...o });
  return h("section.card#doses", { "aria-labelledby": "doses-h" },
    h("h2#doses-h", "Cumulative organ doses against limits"),
    rows.length ? table("Cumulative dose per patient and organ limit", [
      { key: "patient_id", label: "Patient" },
      { key: "organ", label: "Organ" },
      { key: "quantity", label: "Quantity", render: (r) => QUANTITY[r.quantity] || r.quantity },
      { key: "cumulative", label: "Cumulative", unit: "Gy", numeric: true },
      { key: "limit", label: "Limit", unit: "Gy", numeric: true },
      { key: "bar", label: "Share of the limit", render: (r) => meter(r.cumulative || 0, r.limit,
        `${fmt(r.cumulative, "Gy")} of ${fmt(r.limit, "Gy")} (${fmt(100 * (r.cumulative || 0) / r.limit, "%", 2)})${r.reached ? ", limit reached" : ""}`,
        { over: r.reached }) },
    ], rows, { id: "limits" })
      : h("p.note", organs.length
        ? "The protocol states no organ dose limit; the cumulative doses are listed below."
        : "No organ dosimetry is stored for the patients of your sites."),
    organs.length ? table("Cumulative organ doses", [
      { key: "patient_id", label: "Patient" },
      { key: "organ", label: "Organ" },
      { key: "cycles", label: "Cycles", render: (r) => r.cycles.join(", ") },
      { key: "absorbed_dose_gy", label: "Absorbed dose", unit: "Gy", numeric: true },
      { key: "bed_gy", label: "BED", unit: "Gy", numeric: true },
    ], organs, { id: "organ-totals" }) : null,
    d.organ_doses.filter((p) => p.note).map((p) => h("p.muted", `${p.patient_id}: ${p.note}`)));
}

function dltSection(d) {
  return h("section.card#dlts", { "aria-labelledby": "dlt-h" },
    h("h2#dlt-h", "Dose-limiting toxicities"),
    table("DLT-evaluable patients and DLTs by cohort and dose level (all sites)", [
      { key: "cohort_id", label: "Cohort" },
      { key: "dose_level", label: "Dose level" },
      { key: "n", label: "DLT-evaluable", unit: "patients", numeric: true },
      { key: "dlt", label: "With a DLT", unit: "patients", numeric: true },
    ], d.dlt_counts, { id: "dlt-counts" }),
    table("DLT observations of your sites", [
      { key: "patient_id", label: "Patient" },
      { key: "cohort", label: "Cohort" },
      { key: "level", label: "Level" },
      { key: "cycle", label: "Cycle", numeric: true },
      { key: "dlt", label: "DLT", render: (r) => (r.dlt ? badge("DLT", "stop") : badge("no DLT", "ok")) },
      { key: "event", label: "Event", render: (r) => r.event || "—" },
      { key: "grade", label: "CTCAE grade", numeric: true },
    ], d.dlt_events, { id: "dlt-events" }));
}

function escalationSection(d, trial) {
  const e = d.escalation;
  return h("section.card#escalation-state", { "aria-labelledby": "esc-h" },
    h("h2#esc-h", "Escalation state"),
    e.available ? h("p.muted", `${designRule(e)}, as of ${e.as_of}; DLT window ${fmt(e.dlt_window_days, "days")}.`)
      : h("p.note", e.note),
    e.available ? table("Current decision per escalation cohort", [
      { key: "cohort", label: "Cohort" },
      { key: "current_level", label: "Current level", render: (r) => fmt(r.current_level, r.level_unit) },
      { key: "decision", label: "Decision", render: (r) => badge(r.decision, r.decision) },
      { key: "next_level", label: "Next level", render: (r) => (r.next_level === null ? "—" : `${r.next_level_id || ""} ${fmt(r.next_level, r.level_unit)}`) },
      { key: "mtd", label: "MTD", render: (r) => fmt(r.mtd, r.level_unit) },
      { key: "reason", label: "Why", render: (r) => r.reason },
    ], e.cohorts, { id: "escalation-table" }) : null,
    e.available ? h("p", h("a", { href: `#/trials/${encodeURIComponent(trial)}/escalation` }, "Open the escalation board")) : null);
}

export async function render(main, ctx) {
  const trial = ctx.params[0];
  const d = await get(`trials/${encodeURIComponent(trial)}/dashboard`);
  main.append(...page(`${d.trial_id} dashboard`,
    h("p.lead", d.title, d.phase ? ` · phase ${d.phase}` : ""),
    h("p.muted", `Details of ${d.scope}; as of ${d.as_of}.`),
    h("div.trial-grid",
      funnelSection(d),
      enrolmentSection(d),
      escalationSection(d, d.trial_id),
      dltSection(d)),
    cyclesSection(d),
    dosesSection(d)));
}
