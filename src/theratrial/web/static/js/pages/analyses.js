// Response and analyses: RECIST 1.1 per time point with the best overall response of the
// patients of the user's sites, waterfall and spider plots (drawn by report/ on the server);
// repeatability (ICC table, Bland-Altman) and outcome models (effects, ROC) of an uploaded
// CSV, run by the server's statistics (POST /analyses/...; RUN_ANALYSES).
import { ApiError, get, upload } from "../api.js";
import {
  badge, checkbox, clearErrors, field, figure, fill, fmt, formValues, h, markErrors, page, query, table,
} from "../ui.js";

// On submit: the form's CSV file to ``path`` with the other fields as the query; the
// result drawn by ``render`` into ``out``, the API's field errors marked on the form.
function onCsvSubmit(form, out, path, busy, render) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const file = form.elements.file.files[0];
    const { file: _f, ...params } = formValues(form);
    if (!file) { markErrors(form, new ApiError(422, { detail: "choose a CSV file", errors: [{ field: "file", message: "choose a CSV file" }] })); return; }
    fill(out, h("p.muted", busy));
    try {
      fill(out, render(await upload(`${path}?${query(params)}`, file, { contentType: "text/csv" })));
    } catch (err) {
      fill(out);
      if (err instanceof ApiError) markErrors(form, err); else throw err;
    }
  });
}

const BOR_KIND = { CR: "ok", PR: "ok", SD: "warning", "NON-CR/NON-PD": "warning", PD: "stop", NE: "unknown" };

function recistSection(data, trial) {
  const tp = [];
  for (const p of data.items) for (const t of p.time_points) tp.push({ patient_id: p.patient_id, ...t });
  const suffix = trial ? `?trial_id=${encodeURIComponent(trial)}` : "";
  return h("section.card#recist", { "aria-labelledby": "recist-h" },
    h("h2#recist-h", "RECIST 1.1 response"),
    h("p.muted", data.criteria),
    table("Best overall response per patient", [
      { key: "patient_id", label: "Patient", render: (r) => h("a", { href: `#/patients/${encodeURIComponent(r.patient_id)}` }, r.patient_id) },
      { key: "trial_id", label: "Trial", render: (r) => r.trial_id || "—" },
      { key: "best_overall_response", label: "Best overall response", render: (r) => badge(r.best_overall_response, BOR_KIND[r.best_overall_response] || "unknown") },
      { key: "best_overall_response_confirmed", label: "Confirmed", render: (r) => r.best_overall_response_confirmed || "—" },
      { key: "best_change_from_baseline_pct", label: "Best change from baseline", unit: "%", numeric: true },
    ], data.items, { id: "bor-table" }),
    table("Time points", [
      { key: "patient_id", label: "Patient" },
      { key: "date", label: "Date", render: (r) => r.date },
      { key: "day", label: "Day", unit: "days", numeric: true },
      { key: "sum_mm", label: "Sum of diameters", unit: "mm", numeric: true },
      { key: "change_from_baseline_pct", label: "Change from baseline", unit: "%", numeric: true },
      { key: "change_from_nadir_pct", label: "Change from nadir", unit: "%", numeric: true },
      { key: "target", label: "Target", render: (r) => (r.is_baseline ? "baseline" : r.target || "—") },
      { key: "non_target", label: "Non-target", render: (r) => r.non_target || "—" },
      { key: "new_lesions", label: "New lesions", render: (r) => (r.new_lesions ? "yes" : "no") },
      { key: "overall", label: "Overall", render: (r) => (r.is_baseline ? "—" : badge(r.overall, BOR_KIND[r.overall] || "unknown")) },
    ], tp, { id: "timepoint-table" }),
    data.items.length ? h("div.trial-two",
      figure(`/api/v1/analyses/waterfall.svg${suffix}`, "Waterfall plot: best percent change of the sum of target diameters per patient, coloured by best overall response, with the PR (-30 %) and PD (+20 %) lines", "Waterfall: best change in the sum of diameters (%)."),
      figure(`/api/v1/analyses/spider.svg${suffix}`, "Spider plot: percent change of the sum of target diameters from baseline over weeks, one line per patient", "Spider: change from baseline over time (weeks)."))
      : h("p.note", "No RECIST evaluation is stored for the patients of your sites."));
}

function fileField(name, label) {
  return field({ name, label, type: "file", required: true, attrs: { accept: ".csv,text/csv" }, help: "CSV with a header row" });
}

function repeatabilityResult(r) {
  const rows = r.results.map((g) => {
    if (g.too_few) return { group: g.group, too_few: true };
    const icc = Object.fromEntries(g.icc.map((e) => [e.form, e]));
    return { ...g, icc31: icc["ICC(3,1)"], icc21: icc["ICC(2,1)"] };
  });
  const u = r.units["mean, wsd, rc, bias, loa"];
  const iccText = (e) => (e ? `${fmt(e.value, "", 3)} (${fmt(e.ci_low, "", 3)} to ${fmt(e.ci_high, "", 3)})` : "—");
  const overall = r.results.find((g) => !g.too_few);
  return [
    h("p", `${r.n_targets} targets × ${r.k_repeats} scans from ${r.n_rows} rows${r.group_by ? `, by ${r.group_by}` : ""}; ${Math.round(r.confidence * 100)} % confidence intervals.`),
    table("Repeatability per group", [
      { key: "group", label: "Group" },
      { key: "n_subjects", label: "Subjects", numeric: true, render: (x) => (x.too_few ? "too few" : fmt(x.n_subjects)) },
      { key: "mean", label: "Mean", unit: u, numeric: true },
      { key: "wsd", label: "wSD", unit: u, numeric: true },
      { key: "rc", label: "RC", unit: u, numeric: true },
      { key: "wcv_pct", label: "wCV", unit: "%", numeric: true },
      { key: "rc_relative_pct", label: "RC", unit: "%", numeric: true },
      { key: "icc31", label: "ICC(3,1) (95 % CI)", numeric: true, render: (x) => iccText(x.icc31) },
      { key: "icc21", label: "ICC(2,1) (95 % CI)", numeric: true, render: (x) => iccText(x.icc21) },
      { key: "bias", label: "Bias", unit: u, numeric: true, render: (x) => fmt(x.bland_altman && x.bland_altman.bias) },
      { key: "loa", label: "Limits of agreement", unit: u, render: (x) => (x.bland_altman ? `${fmt(x.bland_altman.loa_low)} to ${fmt(x.bland_altman.loa_high)}` : "—") },
    ], rows, { id: "repeatability-table" }),
    overall ? table(`ICC, all six forms (Shrout & Fleiss 1979), group ${overall.group}`, [
      { key: "form", label: "Form" },
      { key: "description", label: "Model" },
      { key: "value", label: "ICC", numeric: true },
      { key: "ci", label: "95 % CI", numeric: true, render: (e) => `${fmt(e.ci_low, "", 3)} to ${fmt(e.ci_high, "", 3)}` },
      { key: "p_value", label: "p", numeric: true },
    ], overall.icc, { id: "icc-table" }) : null,
    h("div.trial-two", r.figures.map((f) => figure(f.src, f.alt, `Bland–Altman, ${f.group}: differences against means (${u}), bias and 95 % limits of agreement.`))),
  ];
}

function repeatabilitySection() {
  const out = h("div#repeatability-out", { "aria-live": "polite" });
  const form = h("form#repeatability-form", { novalidate: true, "aria-labelledby": "rep-h" },
    h("div.form-row",
      fileField("file", "Test–retest table"),
      field({ name: "unit", label: "Unit of the values", value: "SUV", help: "e.g. SUV, Bq/mL, Gy" }),
      field({ name: "subject", label: "Subject column", value: "subject" }),
      field({ name: "region", label: "Region column", value: "region" }),
      field({ name: "scan", label: "Scan column", value: "scan" }),
      field({ name: "value", label: "Value column", value: "value" })),
    h("div.form-row",
      checkbox("no_groups", "Overall only (no groups)"),
      checkbox("drop_incomplete", "Leave out targets with a missing scan")),
    h("div.actions", h("button.primary#run-repeatability", { type: "submit" }, "Run repeatability")));
  onCsvSubmit(form, out, "analyses/repeatability", "Running…", repeatabilityResult);
  return h("section.card#repeatability", { "aria-labelledby": "rep-h" },
    h("h2#rep-h", "Repeatability (test–retest)"),
    h("p.muted", "Upload a CSV in long form, one row per measurement: subject, region, scan, value (as theratrial repeatability reads it)."),
    form, out);
}

function modelResult(m) {
  const binary = m.family === "binomial";
  return [
    h("p", `${m.level}-level ${binary ? "logistic" : "linear"} model (${m.method}); ${m.n_obs} rows, ${m.n_patients} patients, ${m.n_excluded} excluded.`),
    m.warnings.map((w) => h("p.note", `Warning: ${w}`)),
    table("Effects with 95 % confidence intervals", [
      { key: "model", label: "Model" },
      { key: "term", label: "Predictor" },
      { key: "value", label: binary ? "Odds ratio" : "Estimate", numeric: true },
      { key: "ci", label: "95 % CI", numeric: true, render: (e) => `${fmt(e.ci_low)} to ${fmt(e.ci_high)}` },
      { key: "p_value", label: "p", numeric: true },
    ], m.effects, { id: "effects-table" }),
    h("p.muted", `Units: ${m.units.value}.`),
    m.auc && m.auc.auc !== null ? h("p#auc", `ROC AUC ${fmt(m.auc.auc, "", 3)} (95 % CI ${fmt(m.auc.ci_low, "", 3)} to ${fmt(m.auc.ci_high, "", 3)}, patient bootstrap n = ${m.auc.n_bootstrap})${m.cross_validated_auc !== null ? `; cross-validated AUC ${fmt(m.cross_validated_auc, "", 3)}` : ""}.`) : null,
    h("div.trial-two", m.figures.map((f) => figure(f.src, f.alt, f.name === "roc" ? "ROC curve." : "Effects (95 % CI)."))),
  ];
}

function modelSection() {
  const out = h("div#model-out", { "aria-live": "polite" });
  const form = h("form#model-form", { novalidate: true, "aria-labelledby": "model-h" },
    h("div.form-row",
      fileField("file", "Outcome table"),
      field({ name: "level", label: "Level", options: [["patients", "patients"], ["lesions", "lesions (GEE)"]], value: "patients" }),
      field({ name: "predictors", label: "Predictors", required: true, help: "column names, comma-separated" }),
      field({ name: "outcome", label: "Outcome column" }),
      field({ name: "positive", label: "Responder labels", help: "e.g. CR,PR" }),
      field({ name: "threshold", label: "Responder threshold", type: "number", step: "any", help: "responder when outcome ≤ threshold" })),
    h("div.form-row",
      checkbox("above", "Responder when outcome ≥ threshold"),
      checkbox("standardize", "Effects per SD of each predictor")),
    h("div.actions", h("button.primary#run-model", { type: "submit" }, "Run model")));
  onCsvSubmit(form, out, "analyses/outcome-model", "Fitting…", modelResult);
  return h("section.card#outcome-model", { "aria-labelledby": "model-h" },
    h("h2#model-h", "Outcome model"),
    h("p.muted", "Upload a CSV as theratrial model reads it: one row per patient (or per lesion), a patient column, the outcome and the predictors."),
    form, out);
}

export async function render(main, ctx) {
  const trials = await get("trials");
  const slot = h("div#recist-slot");
  async function show(trial) {
    const data = await get(`analyses/recist${trial ? `?trial_id=${encodeURIComponent(trial)}` : ""}`);
    slot.replaceChildren(recistSection(data, trial));
  }
  const filter = h("form.filter#trial-filter", { "aria-label": "Trial filter" },
    field({ name: "trial", label: "Trial", value: "", options: [["", "all trials"], ...trials.items.map((t) => [t.trial_id, t.trial_id])] }));
  filter.addEventListener("change", () => show(filter.elements.trial.value));
  filter.addEventListener("submit", (ev) => ev.preventDefault());
  await show("");
  main.append(...page("Response and analyses", filter, slot));
  if (ctx.can("run_analyses")) {
    main.append(repeatabilitySection(), modelSection());
  } else {
    main.append(h("p.note#no-analyses", "Running repeatability and outcome models is for the statistician and the investigator."));
  }
}
