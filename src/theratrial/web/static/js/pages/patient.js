// A patient's timeline: screenings, enrolments, scans, cycles (activity, date, window), labs,
// the organ-dose chart against each limit (the figure report/ draws, and its numbers), RECIST.
import { ApiError, get } from "../api.js";
import { badge, fmt, figure, h, page, table } from "../ui.js";

const QUANTITY = { absorbed_dose_gy: "absorbed dose", bed_gy: "BED", rbe_weighted_dose_gy: "RBE-weighted dose" };

function section(id, title, ...children) {
  return h("section.card.timeline-part", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function windowText(w) {
  if (!w) return "—";
  return w.earliest === w.latest ? `${w.nominal}` : `${w.earliest} to ${w.latest} (due ${w.nominal})`;
}

function inWindow(value) {
  if (value === null || value === undefined) return h("span.muted", "—");
  return value ? badge("in window", "ok") : badge("outside window", "warning");
}

async function studies(patientId) {
  try {
    const data = await get(`studies?patient_id=${encodeURIComponent(patientId)}`);
    return data.items || [];
  } catch (err) {
    if (err instanceof ApiError && [403, 404, 405].includes(err.status)) return null;
    throw err;
  }
}

function trialPart(patientId, t) {
  const pid = encodeURIComponent(patientId);
  const cycles = table(`Cycles of ${t.trial_id}`, [
    { key: "cycle", label: "Cycle", render: (c) => h("a", { href: `#/patients/${pid}/cycles/${c.cycle}/dosimetry` }, `Cycle ${c.cycle}`, h("span.visually-hidden", " dosimetry")) },
    { key: "date", label: "Date given", render: (c) => c.date || "—" },
    { key: "activity_mbq", label: "Activity", unit: "MBq", numeric: true },
    { key: "nuclide", label: "Nuclide" },
    { key: "dose_level", label: "Dose level", render: (c) => c.dose_level || "—" },
    { key: "weight_kg", label: "Weight", unit: "kg", numeric: true },
    { key: "window", label: "Protocol window", render: (c) => windowText(c.window) },
    { key: "in_window", label: "Given in window", render: (c) => inWindow(c.in_window) },
    { key: "regions", label: "Dosimetry regions", render: (c) => c.regions.join(", ") || "—" },
  ], t.cycles, { id: `cycles-${t.trial_id}` });
  const s = t.schedule;
  const parts = [
    h("p.muted", t.title || ""),
    s ? h("p", `Schedule: every ${s.interval_weeks} weeks `,
      s.window_min_weeks === s.window_max_weeks
        ? "(no window: the protocol allows no early or late cycle)"
        : `(window ${s.window_min_weeks} to ${s.window_max_weeks} weeks after the previous cycle)`,
      `, at most ${s.max_cycles} cycles.`) : null,
    cycles,
    t.next ? h("p.note#next-cycle", `Next: cycle ${t.next.cycle}, window ${windowText(t.next.window)}.`) : null,
  ];
  const organs = t.organ_doses.organs;
  if (organs.length) {
    const src = `/api/v1/patients/${pid}/timeline/organ-doses.svg?trial=${encodeURIComponent(t.trial_id)}`;
    const rows = organs.flatMap((o) => o.cycles.map((c) => ({ organ: o.organ, ...c })));
    const limits = organs.flatMap((o) => o.limits.map((l) => ({ organ: o.organ, ...l })));
    parts.push(
      h("h3", "Cumulative organ dose"),
      figure(src, `Cumulative organ dose per cycle of ${patientId} in ${t.trial_id} against the protocol limits; the numbers are in the tables below.`,
        limitsCaption(organs)),
      table(`Cumulative dose per organ after each cycle (${t.trial_id})`, [
        { key: "organ", label: "Organ" },
        { key: "cycle", label: "After cycle", numeric: true },
        { key: "absorbed_dose_gy", label: "Absorbed dose", unit: "Gy", numeric: true },
        { key: "bed_gy", label: "BED", unit: "Gy", numeric: true },
        { key: "rbe_weighted_dose_gy", label: "RBE-weighted dose", unit: "Gy", numeric: true },
      ], rows, { id: `doses-${t.trial_id}` }),
      limits.length
        ? table(`Organ limits of ${t.trial_id}`, [
          { key: "organ", label: "Organ" },
          { key: "quantity", label: "Quantity", render: (l) => QUANTITY[l.quantity] || l.quantity },
          { key: "limit_gy", label: "Limit", unit: "Gy", numeric: true },
          { key: "cumulative_gy", label: "Cumulative", unit: "Gy", numeric: true },
          { key: "fraction", label: "Used", render: (l) => usedBar(l) },
          { key: "applies_if", label: "Applies if", render: (l) => l.applies_if || "always" },
        ], limits, { id: `limits-${t.trial_id}` })
        : h("p.muted", `The protocol of ${t.trial_id} sets no organ dose limit: doses are shown without a limit.`));
  } else if (t.cycles.length) {
    parts.push(h("p.muted", "No organ dose stored with these cycles yet."));
  }
  return section(`trial-${t.trial_id}`, `Treatment in ${t.trial_id}`, ...parts);
}

function limitsCaption(organs) {
  const any = organs.some((o) => o.limits.length);
  return any
    ? "Cumulative dose after each cycle (blue, solid) against each protocol limit (red, dashed)."
    : "Cumulative absorbed dose after each cycle; the protocol sets no limit to draw.";
}

function usedBar(l) {
  if (l.fraction === null || l.fraction === undefined) return h("span.muted", "—");
  const pct = Math.round(l.fraction * 1000) / 10;
  const bar = h("span.bar", { class: `bar${l.reached ? " over" : ""}`, role: "img", "aria-label": `${pct} % of the limit` }, h("span"));
  bar.firstChild.style.width = `${Math.min(100, pct)}%`;
  return h("span.used", bar, ` ${pct} %`, l.reached ? [" ", badge("reached", "exceeded")] : null);
}

export async function render(main, ctx) {
  const [patientId] = ctx.params;
  const pid = encodeURIComponent(patientId);
  const [t, scans] = await Promise.all([get(`patients/${pid}/timeline`), studies(patientId)]);
  const head = page(`Patient ${t.patient_id}`,
    h("dl.facts",
      h("dt", "Site"), h("dd", t.site || "—"),
      h("dt", "Screening date"), h("dd", t.screening_date || "—"),
      h("dt", "Record"), h("dd", t.has_record ? "stored" : "none stored")),
    ctx.can("screen") ? h("p", h("a", { href: "#/screening" }, "Screen or enter a patient")) : null);
  const screenings = section("sec-screenings", "Screenings",
    table("Screenings, oldest first", [
      { key: "screening_date", label: "Date" },
      { key: "trial_id", label: "Trial" },
      { key: "verdict", label: "Outcome", render: (s) => badge(s.verdict) },
      { key: "counts", label: "Criteria", render: (s) => `${s.counts.met} met, ${s.counts.not_met} not met, ${s.counts.unknown} unknown, ${s.counts.needs_review} needs review` },
      { key: "not_met", label: "Not met / unknown", render: (s) => [...s.not_met, ...s.unknown].join(", ") || "—" },
      { key: "cohorts", label: "Cohorts allowed", render: (s) => s.cohorts.join(", ") || "—" },
    ], t.screenings, { id: "timeline-screenings" }));
  const enrolments = section("sec-enrolments", "Enrolments",
    table("Enrolments, one per trial", [
      { key: "trial_id", label: "Trial" },
      { key: "cohort", label: "Cohort" },
      { key: "consent_date", label: "Consent date" },
      { key: "withdrawn", label: "Status", render: (e) => e.withdrawn ? h("span", badge("withdrawn", "stop"), ` ${e.withdrawn_date}: ${e.withdrawal_reason || ""}`) : badge("enrolled", "ok") },
    ], t.enrolments, { id: "timeline-enrolments" }));
  const imaging = section("sec-imaging", "Scans",
    scans === null
      ? h("p.muted", "Stored imaging studies are not available here.")
      : table("Imaging studies stored for the viewer", [
        { key: "study_date", label: "Date", render: (s) => s.study_date || "—" },
        { key: "modalities", label: "Modalities", render: (s) => (s.modalities || []).join(", ") },
        { key: "description", label: "Description", render: (s) => s.description || "—" },
        { key: "n_vois", label: "VOIs", numeric: true },
        { key: "open", label: "View", render: (s) => h("a", { href: `#/viewer/${encodeURIComponent(s.id)}` }, "Open in the viewer") },
      ], scans, { id: "timeline-studies" }),
    table("Imaging in the screening record", [
      { key: "date", label: "Date" },
      { key: "modality", label: "Modality" },
      { key: "tracer", label: "Tracer", render: (s) => s.tracer || "—" },
      { key: "findings", label: "Findings", render: (s) => Object.entries(s.findings || {}).map(([k, v]) => `${k}: ${v ? "yes" : "no"}`).join(", ") || "—" },
    ], t.record_imaging, { id: "timeline-record-imaging" }));
  const treatment = t.trials.length
    ? t.trials.map((tr) => trialPart(patientId, tr))
    : [section("sec-treatment", "Treatment", h("p.muted", "No enrolment and no cycle recorded."))];
  const labs = section("sec-labs", "Laboratory results",
    table("Labs in the stored record, by date", [
      { key: "date", label: "Date" },
      { key: "name", label: "Test" },
      { key: "value", label: "Value", numeric: true, render: (l) => fmt(l.value, l.unit) },
      { key: "range", label: "Reference range", render: (l) => (l.ref_low ?? l.ref_high) !== undefined ? `${l.ref_low ?? "—"} to ${l.ref_high ?? "—"} ${l.unit}` : "—" },
    ], t.labs, { id: "timeline-labs" }));
  const r = t.recist;
  const recist = section("sec-recist", "Response (RECIST 1.1)",
    r
      ? [h("p", "Best overall response: ", badge(r.best_overall_response || "—", "ok"),
        r.best_change_from_baseline_pct !== null && r.best_change_from_baseline_pct !== undefined ? ` · best change from baseline ${fmt(r.best_change_from_baseline_pct, "%")}` : "",
        r.trial_id ? ` · ${r.trial_id}` : ""),
      table("RECIST time points", [
        { key: "date", label: "Date" },
        { key: "day", label: "Day", numeric: true },
        { key: "sum_mm", label: "Sum of diameters", unit: "mm", numeric: true },
        { key: "change_from_baseline_pct", label: "Change from baseline", unit: "%", numeric: true },
        { key: "change_from_nadir_pct", label: "Change from nadir", unit: "%", numeric: true },
        { key: "target", label: "Target", render: (p) => p.target || "—" },
        { key: "non_target", label: "Non-target", render: (p) => p.non_target || "—" },
        { key: "new_lesions", label: "New lesions", render: (p) => (p.new_lesions ? "yes" : "no") },
        { key: "overall", label: "Overall", render: (p) => p.is_baseline ? "baseline" : (p.overall || "—") },
      ], r.time_points, { id: "timeline-recist" })]
      : h("p.muted", "No RECIST evaluation stored."));
  main.append(...head, h("div.timeline", screenings, enrolments, imaging, ...treatment, labs, recist));
}
