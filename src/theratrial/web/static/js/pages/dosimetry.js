// Cycle dosimetry review (#/patients/ID/cycles/N/dosimetry): the time-activity points with
// the stored fits (drawn by the server's report code as SVG), the model table, Ã, absorbed
// dose and BED per organ and lesion, the physicist's signed approval; then the next-cycle
// plan (the API's plan: largest activity under every limit, the protocol's activity) and the
// physician's signed prescription. Every number comes from the API; no rule is repeated here.
import { ApiError, get, post } from "../api.js";
import { append, badge, clear, errorBox, figure, field, fmt, formValues, h, markErrors, page, table, toast } from "../ui.js";

const MEANINGS = ["reviewed", "approved", "prescribed", "decided"];
const enc = encodeURIComponent;

export async function render(main, ctx) {
  const [patientId, cycleText] = ctx.params;
  const cycle = Number(cycleText);
  const base = `patients/${enc(patientId)}`;
  const enrolments = (await get(`${base}/enrolments`)).items || [];
  main.append(...page(`Cycle ${cycle} dosimetry — patient ${patientId}`,
    h("p", h("a", { href: `#/patients/${enc(patientId)}` }, `Back to patient ${patientId}`))));
  if (!enrolments.length) {
    main.append(h("p.note", "This patient is not enrolled in any trial: no cycle to review."));
    return;
  }
  const body = h("div#dosimetry-body");
  if (enrolments.length > 1) {
    const chooser = field({
      name: "trial_id", label: "Trial", value: enrolments[0].trial_id,
      options: enrolments.map((e) => [e.trial_id, e.trial_id]),
    });
    chooser.querySelector("select").addEventListener("change", (ev) => show(ev.target.value));
    main.append(h("div.form-row", chooser));
  }
  main.append(body);
  async function show(trialId) {
    clear(body);
    body.setAttribute("aria-busy", "true");
    try {
      await renderTrial(body, ctx, { base, patientId, cycle, trialId });
    } finally {
      body.removeAttribute("aria-busy");
    }
  }
  await show(enrolments[0].trial_id);
}

async function renderTrial(body, ctx, { base, patientId, cycle, trialId }) {
  const q = `trial_id=${enc(trialId)}`;
  const reviewPath = `${base}/cycles/${cycle}/review`;
  let review;
  try {
    review = await get(`${reviewPath}?${q}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) { body.append(errorBox(err)); return; }
    throw err;
  }
  const organs = review.regions.filter((r) => r.kind === "organ");
  const lesions = review.regions.filter((r) => r.kind === "lesion");
  body.append(
    administration(review),
    curves(review, `/api/v1/${reviewPath}/curves.svg`, trialId, organs, lesions),
    models(review),
    doses(organs, lesions),
  );
  const approval = h("section.card#approval", { "aria-labelledby": "approval-h" });
  body.append(approval);
  await renderApproval(approval, ctx, { path: `${base}/cycles/${cycle}/dosimetry`, q, review });
  const plan = h("section.card#plan", { "aria-labelledby": "plan-h" });
  body.append(plan);
  await renderPlan(plan, ctx, { base, q });
}

function administration(r) {
  return h("section.card", { "aria-labelledby": "admin-h" },
    h("h2#admin-h", "Administration"),
    h("dl.facts",
      h("dt", "Trial"), h("dd", r.trial_id),
      h("dt", "Cycle"), h("dd", String(r.cycle)),
      h("dt", "Date"), h("dd", r.administered_at ? r.administered_at.slice(0, 10) : "—"),
      h("dt", "Nuclide"), h("dd", r.nuclide),
      h("dt", "Activity given"), h("dd", fmt(r.activity_mbq, "MBq", 4)),
      h("dt", "Dose level"), h("dd", r.dose_level || "—"),
      h("dt", "Body weight"), h("dd", fmt(r.weight_kg, "kg")),
      h("dt", "Scan times"), h("dd", r.times_h.length ? r.times_h.map((t) => fmt(t, "h")).join(", ") : "none stored"),
      h("dt", "Signed content"), h("dd", h("code.wrap", `SHA-256 ${r.content_sha256}`))));
}

function svgUrl(url, trialId, regions) {
  const params = new URLSearchParams({ trial_id: trialId });
  for (const r of regions) params.append("region", r);
  return `${url}?${params}`;
}

function curves(review, url, trialId, organs, lesions) {
  const withPoints = (list) => list.filter((r) => r.points.length).map((r) => r.region);
  const section = h("section.card", { "aria-labelledby": "tac-h" },
    h("h2#tac-h", "Time-activity curves"),
    h("p.muted", `Measured ${review.nuclide} activity (points, MBq) after administration (h) with the stored fitted curve (line), log scale.`));
  const grid = h("div.dosi-figures");
  for (const [label, names] of [["Organs", withPoints(organs)], ["Lesions", withPoints(lesions)]]) {
    if (!names.length) continue;
    grid.append(figure(svgUrl(url, trialId, names),
      `${label}: measured activity (MBq) against time (h) with the fitted curve of ${names.length} regions; the numbers are in the table of points below.`,
      `${label} (${names.length}): ${names.join(", ")}`));
  }
  section.append(grid);
  const all = withPoints(review.regions);
  if (all.length) {
    const one = figure(svgUrl(url, trialId, [all[0]]), `Region ${all[0]}: measured activity (MBq) against time (h) with its fitted curve.`, `Region ${all[0]}`);
    one.classList.add("dosi-one");
    const pick = field({ name: "region", label: "Draw one region alone", value: all[0], options: all });
    pick.querySelector("select").addEventListener("change", (ev) => {
      const name = ev.target.value;
      const img = one.querySelector("img");
      img.src = svgUrl(url, trialId, [name]);
      img.alt = `Region ${name}: measured activity (MBq) against time (h) with its fitted curve.`;
      one.querySelector("figcaption").textContent = `Region ${name}`;
    });
    section.append(h("div.dosi-single", pick, one));
  }
  const times = review.times_h;
  const cols = [{ key: "region", label: "Region", render: (r) => r.region }]
    .concat(times.map((t, i) => ({
      key: `t${i}`, label: `${fmt(t)} h`, unit: "MBq", numeric: true,
      render: (r) => fmt((r.points.find((p) => Math.abs(p.time_h - t) < 1e-6) || {}).activity_mbq, "", 4),
    })));
  section.append(h("details.dosi-points",
    h("summary", "Table of the measured points"),
    table("Measured activity (MBq) per region at each scan time (h after administration)", cols, review.regions, { id: "tac-points" })));
  return section;
}

function candidateCell(c) {
  if (!c) return "—";
  if (!c.success) return h("span.dosi-why", `not usable: ${c.message}`);
  if (c.aicc === null) return h("span", "usable, AICc undefined");
  return h("span", fmt(c.aicc, "", 4), h("span.muted", ` (weight ${fmt(c.akaike_weight, "", 2)})`));
}

function models(review) {
  const names = [];
  for (const r of review.regions) for (const c of (r.selection || {}).candidates || []) if (!names.includes(c.model)) names.push(c.model);
  const cols = [
    { key: "region", label: "Region", render: (r) => r.region },
    { key: "model", label: "Model (stored)", render: (r) => r.model ? r.model.replace(/_/g, "-") : "—" },
    { key: "aicc", label: "AICc (stored)", numeric: true, render: (r) => r.aicc === null ? "undefined" : fmt(r.aicc, "", 4) },
    { key: "criterion", label: "Chosen by", render: (r) => {
      const s = r.selection;
      if (!s) return "—";
      return h("span", s.criterion || "—", " ", s.agrees ? badge("same model", "ok") : badge(`refit: ${s.chosen || "none"}`, "warning"));
    } },
    ...names.map((m) => ({ key: m, label: `AICc ${m.replace(/_/g, "-")}`, render: (r) => candidateCell(((r.selection || {}).candidates || []).find((c) => c.model === m)) })),
    { key: "fallback", label: "Fallback", render: (r) => r.fallback || "none" },
    { key: "t_eff", label: "T_eff", unit: "h", numeric: true, render: (r) => fmt(r.effective_half_life_h) },
    { key: "warnings", label: "Warnings", render: (r) => r.warnings.length
      ? h("details.dosi-warn", h("summary", `${r.warnings.length} warning${r.warnings.length > 1 ? "s" : ""}`), h("ul", r.warnings.map((w) => h("li", w))))
      : "none" },
  ];
  return h("section.card", { "aria-labelledby": "models-h" },
    h("h2#models-h", "Time-activity models"),
    h("p.muted", "The stored fit of each region, and every candidate model fitted again to the stored points: AICc (Akaike, corrected for small samples) with its Akaike weight; AICc is undefined with too few points for the model, and the choice then falls to the F-test or the simplest model."),
    h("div.dosi-scroll", table("Model per region: stored choice, candidates' AICc, fallback and warnings", cols, review.regions, { id: "model-table" })));
}

function doseTable(caption, rows, id) {
  return table(caption, [
    { key: "region", label: "Region", render: (r) => r.region },
    { key: "tia_mbq_h", label: "Ã", unit: "MBq·h", numeric: true, render: (r) => fmt(r.tia_mbq_h, "", 4) },
    { key: "residence_time_h", label: "Residence time", unit: "h", numeric: true, render: (r) => fmt(r.residence_time_h, "", 3) },
    { key: "mass_g", label: "Mass", unit: "g", numeric: true, render: (r) => fmt(r.mass_g, "", 4) },
    { key: "dose_gy", label: "Absorbed dose", unit: "Gy", numeric: true, render: (r) => fmt(r.dose_gy, "", 3) },
    { key: "dose_gy_per_gbq", label: "Dose per GBq", unit: "Gy/GBq", numeric: true, render: (r) => fmt(r.dose_gy_per_gbq, "", 3) },
    { key: "bed_gy", label: "BED", unit: "Gy", numeric: true, render: (r) => fmt(r.bed_gy, "", 3) },
    { key: "eqd2_gy", label: "EQD2", unit: "Gy", numeric: true, render: (r) => fmt(r.eqd2_gy, "", 3) },
    { key: "s_value_source", label: "S-value source", render: (r) => r.s_value_source || "—" },
  ], rows, { id });
}

function doses(organs, lesions) {
  return h("section.card", { "aria-labelledby": "doses-h" },
    h("h2#doses-h", "Ã, absorbed dose and BED"),
    h("p.muted", "Ã: time-integrated activity; residence time: Ã divided by the activity given; absorbed dose D = Ã × S (MIRD); BED and EQD2 from the linear-quadratic model with incomplete repair."),
    h("div.dosi-scroll", doseTable("Organs: Ã, residence time, absorbed dose and BED", organs, "organ-doses")),
    lesions.length ? h("div.dosi-scroll", doseTable("Lesions: Ã, residence time, absorbed dose and BED", lesions, "lesion-doses")) : null);
}

function signatureTable(caption, items, id) {
  return table(caption, [
    { key: "username", label: "Signed by", render: (s) => s.username },
    { key: "role", label: "Role", render: (s) => s.role },
    { key: "meaning", label: "Meaning", render: (s) => s.meaning },
    { key: "signed_at", label: "Time (UTC)", render: (s) => h("time", { datetime: s.signed_at }, s.signed_at.replace("T", " ").replace(/\.\d+/, "").replace("+00:00", " UTC")) },
    { key: "valid", label: "Status", render: (s) => s.valid ? badge("valid", "signed") : badge("VOID: the data changed after signing", "stop") },
  ], items, { id });
}

// A signing form: meaning and password again (21 CFR 11.200); the API's errors go on the field.
function signForm({ id, title, button, url, onSigned }) {
  const form = h("form.dosi-sign", { id, "aria-label": title, novalidate: true },
    h("div.form-row",
      field({ name: "meaning", label: "Meaning of the signature", value: "", options: [["", "— choose —"], ...MEANINGS.map((m) => [m, m])] }),
      field({ name: "password", label: "Your password (again, to sign)", type: "password", attrs: { autocomplete: "current-password" } })),
    h("div.actions", h("button.primary", { type: "submit" }, button)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = formValues(form);
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    try {
      const res = await post(url, { meaning: data.meaning, password: data.password });
      form.reset();
      toast(`Signed: ${res.signature.meaning} by ${res.signature.username}`);
      await onSigned(res);
    } catch (err) {
      if (err instanceof ApiError) markErrors(form, err);
      else throw err;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function renderApproval(section, ctx, { path, q, review }) {
  clear(section);
  const sigs = (await get(`${path}/signatures?${q}`)).items || [];
  const valid = sigs.some((s) => s.valid && s.meaning === "approved");
  section.append(
    h("h2#approval-h", "Physicist's approval of this cycle's dosimetry"),
    h("p", valid ? badge("approved", "signed") : badge("NOT APPROVED: no valid approval yet", "wait")),
    signatureTable("Signatures of the cycle dosimetry", sigs, "dosimetry-signatures"));
  if (ctx.can("approve_dosimetry")) {
    section.append(h("p.muted", `Signing binds your name, the meaning and the time to exactly the dosimetry shown (SHA-256 ${review.content_sha256.slice(0, 12)}…); a later change of the data voids it.`),
      signForm({
        id: "approve-form", title: "Sign the cycle dosimetry", button: "Sign the dosimetry",
        url: `${path}/sign?${q}`,
        onSigned: () => renderApproval(section, ctx, { path, q, review }),
      }));
  }
}

function limitBar(c) {
  if (c.limit === null || c.limit === undefined || !c.limit) return "—";
  const frac = Math.max(0, Math.min(1, (c.cumulative || 0) / c.limit));
  const bar = h("span.bar", { role: "img", "aria-label": `${Math.round(frac * 100)} % of the limit` }, h("span"));
  bar.firstChild.style.width = `${(frac * 100).toFixed(1)}%`;
  if (c.reached) bar.classList.add("over");
  return h("span.dosi-limit", bar, ` ${Math.round(frac * 100)} %`);
}

async function renderPlan(section, ctx, { base, q }) {
  clear(section);
  section.append(h("h2#plan-h", "Next-cycle plan and prescription"));
  let plan;
  try {
    plan = await get(`${base}/plan?${q}`);
  } catch (err) {
    if (err instanceof ApiError && err.status < 500 && err.status !== 401) { section.append(errorBox(err)); return; }
    throw err;
  }
  const w = plan.window;
  append(section, [
    h("div.stats.dosi-plan",
      h("div.stat", h("span.value#plan-max", plan.max_activity_mbq === null ? "no limit" : fmt(plan.max_activity_mbq, "MBq", 4)), h("span.label", "largest activity under every limit")),
      h("div.stat", h("span.value#plan-protocol", fmt(plan.prescribed_activity_mbq, "MBq", 4)), h("span.label", "protocol's activity")),
      h("div.stat", h("span.value#plan-recommended", plan.stop ? "STOP" : fmt(plan.recommended_activity_mbq, "MBq", 4)), h("span.label", `recommended for cycle ${plan.next_cycle}`))),
    h("p", plan.stop ? badge("stop: no further cycle", "stop") : (plan.reduced ? badge("reduced below the protocol's activity", "warning") : badge("protocol's activity allowed", "ok"))),
    h("dl.facts",
      h("dt", "Cycles given"), h("dd", plan.cycles_given.join(", ") || "none"),
      h("dt", "Next cycle"), h("dd", String(plan.next_cycle)),
      h("dt", "Window"), h("dd", w ? `${w.earliest} to ${w.latest} (nominal ${w.nominal})` : "—")),
    plan.reasons.length ? h("ul.dosi-reasons", plan.reasons.map((r) => h("li", r))) : null,
    plan.warnings.length ? h("div.note", h("strong", "Warnings: "), plan.warnings.join("; ")) : null,
    h("div.dosi-scroll", table("Cumulative dose against each protocol limit", [
      { key: "organ", label: "Organ", render: (c) => c.organ },
      { key: "quantity", label: "Quantity", render: (c) => c.quantity.replace(/_gy$/, "").replace(/_/g, " ") },
      { key: "cumulative", label: "Cumulative", unit: "Gy", numeric: true, render: (c) => fmt(c.cumulative, "", 3) },
      { key: "limit", label: "Limit", unit: "Gy", numeric: true, render: (c) => fmt(c.limit, "", 3) },
      { key: "used", label: "Share of limit", render: limitBar },
      { key: "dose_gy_per_gbq", label: "Dose per GBq", unit: "Gy/GBq", numeric: true, render: (c) => fmt(c.dose_gy_per_gbq, "", 3) },
      { key: "max_activity_mbq", label: "Largest activity", unit: "MBq", numeric: true, render: (c) => fmt(c.max_activity_mbq, "", 4) },
      { key: "reached", label: "Reached", render: (c) => c.reached ? badge("yes", "exceeded") : "no" },
      { key: "source", label: "Source", render: (c) => c.source || "—" },
    ], plan.limits, { id: "plan-limits" })),
    h("details.dosi-organs", h("summary", `Cumulative dose per region over the cycles given (${plan.organs.length})`),
      h("div.dosi-scroll", table("Cumulative dose per organ over the cycles given", [
      { key: "organ", label: "Organ", render: (o) => o.organ },
      { key: "cycles", label: "Cycles", render: (o) => o.cycles.join(", ") },
      { key: "absorbed_dose_gy", label: "Absorbed dose", unit: "Gy", numeric: true, render: (o) => fmt(o.absorbed_dose_gy, "", 3) },
      { key: "bed_gy", label: "BED", unit: "Gy", numeric: true, render: (o) => fmt(o.bed_gy, "", 3) },
      { key: "rbe", label: "RBE-weighted dose", unit: "Gy", numeric: true, render: (o) => fmt(o.rbe_weighted_dose_gy, "", 3) },
    ], plan.organs, { id: "plan-organs" }))),
    h("h3", `Prescription of cycle ${plan.next_cycle}`),
    signatureTable(`Signatures of the prescription of cycle ${plan.next_cycle}`, plan.signatures || [], "prescription-signatures")]);
  if (ctx.can("prescribe") && !plan.stop) {
    section.append(h("p.muted", `Signing prescribes cycle ${plan.next_cycle} exactly as planned above; a change of the data voids it.`),
      signForm({
        id: "prescribe-form", title: `Sign the prescription of cycle ${plan.next_cycle}`, button: "Sign the prescription",
        url: `${base}/plan/sign?${q}`,
        onSigned: () => renderPlan(section, ctx, { base, q }),
      }));
  }
}
