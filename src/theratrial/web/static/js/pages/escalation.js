// The escalation board of a trial, per escalation cohort: DLTs by dose level, the design's
// decision and why (GET /trials/{id}/escalation, for the roles that may run it), the
// investigator's signature (POST, password re-asked), the operating characteristics of the
// design (simulated by the server, drawn by report/) and DLT entry for physicians.
import { ApiError, get, post } from "../api.js";
import {
  badge, checkbox, clearErrors, field, fill, fmt, formValues, h, markErrors, page, query, table, toast,
} from "../ui.js";

const DESIGNS = [["boin", "BOIN"], ["mtpi2", "mTPI-2"], ["i3+3", "i3+3"], ["3+3", "3+3"]];
const SOURCES = { protocol: "as the protocol states", assumed: "assumed: the protocol states none", request: "as asked" };

// "Design boin with target DLT probability 0.25 (assumed: the protocol states none)".
export function designRule(d) {
  const target = d.target === null || d.target === undefined ? "" : ` with target DLT probability ${d.target}`;
  return `Design ${d.design}${target} (${SOURCES[d.design_source] || "as asked"})`;
}
const MEANINGS = ["decided", "reviewed", "approved"];

// DLT table by dose level: patients treated (cycles), DLT-evaluable and DLTs, per cohort.
function dltTable(cohort, levels, unit, dash) {
  const rows = levels.map((lv) => {
    const count = dash.dlt_counts.find((c) => c.cohort_id === cohort && c.dose_level === lv.id) || { n: 0, dlt: 0 };
    const treated = dash.treated.find((c) => c.cohort_id === cohort && c.dose_level === lv.id);
    return { id: lv.id, value: lv.value, treated: treated ? treated.patients : 0, n: count.n, dlt: count.dlt };
  });
  return table(`DLTs by dose level, cohort ${cohort} (all sites)`, [
    { key: "id", label: "Dose level" },
    { key: "value", label: "Activity", unit, numeric: true },
    { key: "treated", label: "Cycles recorded", unit: "patients", numeric: true },
    { key: "n", label: "DLT-evaluable", unit: "patients", numeric: true },
    { key: "dlt", label: "With a DLT", unit: "patients", numeric: true },
    { key: "rate", label: "Observed DLT rate", numeric: true, render: (r) => (r.n ? fmt(r.dlt / r.n, "", 2) : "—") },
  ], rows, { id: `dlt-${cohort}` });
}

function decisionCard(c) {
  const unit = c.level_unit || "";
  return h("div.decision", { dataset: { cohort: c.cohort } },
    h("p.decision-line", "Decision: ", badge(c.decision, c.decision),
      c.next_level !== null && c.next_level !== undefined ? ` next cohort at ${c.next_level_id || ""} (${fmt(c.next_level, unit)})` : "",
      c.mtd !== null && c.mtd !== undefined ? ` · MTD ${fmt(c.mtd, unit)}` : ""),
    h("p.why", h("strong", "Why: "), c.reason),
    c.missing.length ? h("ul.missing", c.missing.map((m) => h("li", m.description))) : null,
    table(`Estimates per level behind the decision, cohort ${c.cohort}`, [
      { key: "level", label: "Level", unit, numeric: true },
      { key: "n", label: "Patients", numeric: true },
      { key: "dlt", label: "DLTs", numeric: true },
      { key: "observed_rate", label: "Observed DLT rate", numeric: true },
      { key: "estimated_rate", label: "Estimated DLT rate", numeric: true },
      { key: "p_overdose", label: "P(overdose)", numeric: true },
      { key: "eliminated", label: "Eliminated", render: (r) => (r.eliminated ? "yes" : "no") },
    ], c.estimates),
    Object.keys(c.boundaries || {}).length ? h("details.boundaries",
      h("summary", "The rule's boundaries and inputs"),
      h("dl.facts", Object.entries(c.boundaries).flatMap(([k, v]) => [h("dt", k.replaceAll("_", " ")), h("dd", fmt(v))]))) : null);
}

function signatureList(sigs) {
  if (!sigs.length) return h("p.muted#signatures", "Not signed yet.");
  return table("Signatures of this decision", [
    { key: "username", label: "Signed by" },
    { key: "role", label: "Role" },
    { key: "meaning", label: "Meaning" },
    { key: "signed_at", label: "Signed at (UTC)", render: (r) => r.signed_at.replace("T", " ").slice(0, 19) },
    { key: "valid", label: "State", render: (r) => (r.valid ? badge("valid", "signed") : badge("void: the decision changed since", "stop")) },
  ], sigs, { id: "signatures" });
}

function signForm(trial, decision, onSigned) {
  const form = h("form#sign-form", { novalidate: true, "aria-labelledby": "sign-h" },
    h("div.form-row",
      field({ name: "meaning", label: "Meaning of the signature", options: MEANINGS, value: "decided", required: true }),
      field({ name: "password", label: "Password", type: "password", required: true, attrs: { autocomplete: "current-password" } })),
    h("div.actions", h("button.primary", { type: "submit" }, "Sign decision")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    try {
      await post(`trials/${encodeURIComponent(trial)}/escalation`, {
        password: v.password, meaning: v.meaning, design: decision.design, target: decision.target, as_of: decision.as_of,
      });
      toast("Decision signed.", "ok");
      await onSigned();
    } catch (err) {
      if (err instanceof ApiError) markErrors(form, err); else throw err;
    }
  });
  return h("div.card#sign-box",
    h("h3#sign-h", "Sign this decision"),
    h("p.muted", "Your signature is bound to exactly the decision shown (21 CFR 11.50); enter your password again."),
    form);
}

// Design and target fields, filled with the protocol's rule (the dashboard's escalation state).
function ruleFields(rule) {
  return [
    field({ name: "design", label: "Design", options: DESIGNS, value: rule.design || "boin", help: "default: the protocol's" }),
    field({ name: "target", label: "Target DLT probability", type: "number", value: rule.target ?? "", step: "0.01", min: "0.05", max: "0.5", help: "none for the 3+3" }),
  ];
}

function runPanel(trial, ctx, rule) {
  const out = h("div#decision-out", { "aria-live": "polite" });
  const form = h("form#run-form", { novalidate: true, "aria-labelledby": "run-h" },
    h("div.form-row",
      ...ruleFields(rule),
      field({ name: "as_of", label: "As of", type: "date", value: new Date().toISOString().slice(0, 10) })),
    h("div.actions", h("button.primary#run-decision", { type: "submit" }, "Run decision")));
  async function run() {
    clearErrors(form);
    const v = formValues(form);
    let d;
    try {
      d = await get(`trials/${encodeURIComponent(trial)}/escalation?${query(v)}`);
    } catch (err) {
      if (err instanceof ApiError) { markErrors(form, err); return; }
      throw err;
    }
    fill(out,
      h("p.muted", `${designRule(d)}, as of ${d.as_of}; DLT window ${fmt(d.dlt_window_days, "days")}.`),
      ...d.cohorts.map((c) => h("section.cohort-decision", { "aria-label": `Decision for cohort ${c.cohort}` },
        h("h3", `Cohort ${c.cohort}`), decisionCard(c))),
      h("h3", "Signatures"),
      signatureList(d.signatures),
      ctx.can("sign_escalation") ? signForm(trial, d, run) : null);
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  return h("section.card#run-panel", { "aria-labelledby": "run-h" },
    h("h2#run-h", "The design's decision"), form, out);
}

function stateTable(dash) {
  const e = dash.escalation;
  if (!e.available) return h("p.note", e.note);
  return table(`Current decision per cohort (${designRule(e)}, as of ${e.as_of})`, [
    { key: "cohort", label: "Cohort" },
    { key: "decision", label: "Decision", render: (r) => badge(r.decision, r.decision) },
    { key: "next_level", label: "Next level", render: (r) => (r.next_level === null ? "—" : `${r.next_level_id || ""} ${fmt(r.next_level, r.level_unit)}`) },
    { key: "reason", label: "Why", render: (r) => r.reason },
  ], e.cohorts, { id: "escalation-state" });
}

function ocPanel(trial, cohorts, unit, rule) {
  const out = h("div#oc-out", { "aria-live": "polite" });
  let figureUrl = null;
  const form = h("form#oc-form", { novalidate: true, "aria-labelledby": "oc-h" },
    h("div.form-row",
      field({ name: "cohort", label: "Cohort", options: cohorts.map((c) => c.id), value: cohorts[0].id }),
      ...ruleFields(rule),
      field({ name: "truth", label: "True DLT probabilities", help: "one per level, comma-separated; empty: assumed" }),
      field({ name: "n_trials", label: "Simulated trials", type: "number", value: 1000, min: "1", max: "5000", step: "1" }),
      field({ name: "seed", label: "Seed", type: "number", value: 20250101, min: "0", step: "1" })),
    h("div.actions", h("button#run-oc", { type: "submit" }, "Simulate")));
  async function run() {
    clearErrors(form);
    const params = query(formValues(form));
    const base = `trials/${encodeURIComponent(trial)}/escalation/operating-characteristics`;
    let oc;
    try {
      oc = await get(`${base}?${params}&figure=true`); // one simulation: numbers and figure
    } catch (err) {
      if (err instanceof ApiError) { markErrors(form, err); return; }
      throw err;
    }
    if (figureUrl) URL.revokeObjectURL(figureUrl); // the previous run's figure
    figureUrl = URL.createObjectURL(new Blob([oc.figure_svg], { type: "image/svg+xml" }));
    const rows = oc.levels.map((lv, i) => ({
      level: lv, truth: oc.truth[i], sel: oc.selection_pct[i], n: oc.n_treated_mean[i], dlt: oc.dlt_mean_per_level[i],
    }));
    fill(out,
      table(`Per dose level over ${oc.n_trials} simulated trials (seed ${oc.seed}), cohort ${oc.cohort}`, [
        { key: "level", label: "Level", unit: oc.level_unit || unit, numeric: true },
        { key: "truth", label: "True DLT probability", numeric: true },
        { key: "sel", label: "Selected as MTD", unit: "% of trials", numeric: true },
        { key: "n", label: "Treated", unit: "mean patients", numeric: true },
        { key: "dlt", label: "DLTs", unit: "mean patients", numeric: true },
      ], rows, { id: "oc-table" }),
      h("p", `No MTD selected (early stop): ${fmt(oc.stop_pct, "% of trials")}; mean sample size ${fmt(oc.n_mean, "patients")}; mean DLTs ${fmt(oc.dlt_mean, "patients")}. Scenario: ${oc.scenario}.`),
      h("figure.plot#oc-figure",
        h("img", { src: figureUrl, alt: `Operating characteristics of ${oc.design} for cohort ${oc.cohort}: percentage of trials selecting each level as the MTD, and mean patients and DLTs per level` }),
        h("figcaption", "MTD selection and allocation per dose level, as the escalation report draws them.")));
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(); });
  run();
  return h("section.card#oc-panel", { "aria-labelledby": "oc-h" },
    h("h2#oc-h", "Operating characteristics"),
    h("p.muted", "Simulated trials of the design on a scenario of true DLT probabilities (assumed when none is given)."),
    form, out);
}

function dltForm(trial, cohorts, levels, onSaved) {
  const form = h("form#dlt-form", { novalidate: true, "aria-labelledby": "dlt-form-h" },
    h("div.form-row",
      field({ name: "patient_id", label: "Patient", required: true }),
      field({ name: "cohort", label: "Cohort", options: cohorts.map((c) => c.id), required: true }),
      field({ name: "level", label: "Dose level", options: levels.map((l) => [l.id, `${l.id} (${fmt(l.value)})`]), required: true }),
      field({ name: "cycle", label: "Cycle", type: "number", value: 1, min: "1", step: "1", required: true })),
    h("div.form-row",
      checkbox("dlt", "Dose-limiting toxicity"),
      field({ name: "event", label: "Event (CTCAE term)" }),
      field({ name: "grade", label: "CTCAE grade", type: "number", min: "1", max: "5", step: "1" }),
      field({ name: "administered", label: "Administered on", type: "date" }),
      field({ name: "onset", label: "Onset on", type: "date" })),
    h("div.actions", h("button.primary", { type: "submit" }, "Record observation")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    for (const k of Object.keys(v)) if (v[k] === null) delete v[k];
    try {
      const r = await post(`trials/${encodeURIComponent(trial)}/dlts`, v);
      toast(`Observation ${r.state}.`, "ok");
      await onSaved();
    } catch (err) {
      if (err instanceof ApiError) markErrors(form, err); else throw err;
    }
  });
  return h("section.card#dlt-entry", { "aria-labelledby": "dlt-form-h" },
    h("h2#dlt-form-h", "Record a DLT observation"), form);
}

export async function render(main, ctx) {
  const trial = ctx.params[0];
  const [protocol, dash] = await Promise.all([
    get(`trials/${encodeURIComponent(trial)}`),
    get(`trials/${encodeURIComponent(trial)}/dashboard`),
  ]);
  const perWeight = protocol.dosing && protocol.dosing.rule === "per_weight";
  const unit = perWeight ? "kBq/kg" : "GBq";
  const levels = ((protocol.dosing && protocol.dosing.levels) || []).map((l) => ({
    id: l.id, value: perWeight ? l.activity_kbq_per_kg : l.activity_gbq,
  }));
  const cohorts = (protocol.cohorts || []).filter((c) => c.phase === "escalation");
  main.append(...page(`${protocol.id} escalation board`,
    h("p", h("a", { href: `#/trials/${encodeURIComponent(protocol.id)}` }, "Back to the trial dashboard")),
    cohorts.length ? null : h("p.note", "This trial has no escalation cohort.")));
  if (!cohorts.length) return;
  main.append(h("section.card#dlt-tables", { "aria-labelledby": "dlt-tables-h" },
    h("h2#dlt-tables-h", "DLTs by dose level"),
    h("p.muted", `Cohorts of ${protocol.dosing.cohort_size || "?"} patients, DLT window ${fmt(protocol.dosing.dlt_window_days, "days")}; each cohort is escalated independently.`),
    cohorts.map((c) => {
      const ids = c.dose_levels.length ? c.dose_levels : levels.map((l) => l.id);
      return dltTable(c.id, levels.filter((l) => ids.includes(l.id)), unit, dash);
    })));
  main.append(h("section.card#state", { "aria-labelledby": "state-h" },
    h("h2#state-h", "Current state"), stateTable(dash)));
  const rule = dash.escalation; // the protocol's design and target, decided or not
  if (ctx.can("run_escalation")) main.append(runPanel(trial, ctx, rule));
  else main.append(h("p.note#no-run", "Running and signing the decision is for the statistician and the investigator."));
  main.append(ocPanel(trial, cohorts, unit, rule));
  if (ctx.can("record_dlt")) {
    main.append(dltForm(protocol.id, cohorts, levels, async () => ctx.navigate(ctx.path)));
  }
}
