// Screening: enter or upload a patient record (checked by the API as you type), store it,
// screen it against a trial (criteria with their evidence), the trial finder across every
// trial, and enrolment into a cohort. Every rule is the API's: the page only shows its answers.
import { ApiError, get, post, request } from "../api.js";
import { badge, clear, clearErrors, errorBox, field, fmt, h, markErrors, page, table, toast } from "../ui.js";

// The labs the form offers, with the unit a lab usually reports (any unit the API reads is fine).
const LABS = [
  ["haemoglobin", "Haemoglobin", "g/dL"],
  ["platelets", "Platelets", "10^9/L"],
  ["neutrophils", "Neutrophils", "10^9/L"],
  ["creatinine", "Creatinine", "mg/dL"],
  ["gfr_measured", "Measured GFR / creatinine clearance", "mL/min"],
  ["bilirubin_total", "Total bilirubin", "mg/dL"],
  ["alt", "ALT", "U/L"],
  ["ast", "AST", "U/L"],
  ["albumin", "Albumin", "g/L"],
  ["aptt", "APTT", "s"],
  ["glucose_fasting", "Fasting glucose", "mg/dL"],
];
const LAB_PARTS = ["value", "unit", "ref_low", "ref_high", "date"];
const YES_NO = [["", "not recorded"], ["true", "yes"], ["false", "no"]];
// Record sections the form does not lay out field by field: kept as JSON in one text area.
const FORM_KEYS = new Set(["patient_id", "site", "screening_date", "demographics", "ecog",
  "life_expectancy_weeks", "diagnosis", "consent", "labs"]);
const STATUS_TEXT = { met: "met", not_met: "not met", unknown: "unknown", needs_review: "needs review" };

export async function render(main, ctx) {
  main.append(...page("Screening"));
  if (!ctx.can("write_patients") && !ctx.can("screen")) {
    main.append(h("p.note", "Your role reads patients but does not enter or screen them. ",
      h("a", { href: "#/patients" }, "See the patients")));
    return;
  }
  const trials = (await get("trials")).items;
  const state = { patientId: null, lastScreenings: [] };
  const results = h("section#screen-results", { "aria-live": "polite" });
  const enrolBox = h("section#enrol-box");
  if (ctx.can("write_patients")) main.append(recordCard(ctx, state, () => afterSave()));
  const screenCard = screeningCard(ctx, state, trials, results, enrolBox);
  main.append(screenCard, results, enrolBox);

  function afterSave() {
    screenCard.hidden = false;
    screenCard.querySelector("#screen-patient").textContent = state.patientId;
    clear(results);
    clear(enrolBox);
  }
}

// ---- the record form -------------------------------------------------------------------

function fieldset(legend, ...children) {
  return h("fieldset.record-part", h("legend", legend), ...children);
}

// A lab's unit / range / date control: the lab's name is in the label for screen readers and
// shown once, on the value, for the eye.
function labField({ name, label, part, type = "text", value }) {
  const f = field({ name, label: `${label} ${part}`, type, value, step: type === "number" ? "any" : undefined });
  f.querySelector("label").replaceChildren(h("span.visually-hidden", `${label} `), part);
  return f;
}

function recordCard(ctx, state, onSaved) {
  const sites = ctx.me.sites.length ? ctx.me.sites : [];
  const form = h("form.card#record-form", { novalidate: true, "aria-labelledby": "record-title" },
    h("h2#record-title", "Patient record"),
    h("p.muted", "Checked against the record schema by the server as you type; nothing is stored until you save."),
    fieldset("Patient",
      h("div.form-row",
        field({ name: "patient_id", label: "Patient id (pseudonym)", required: true, help: "letters, digits, - _ . — never a name" }),
        sites.length
          ? field({ name: "site", label: "Site", required: true, options: sites, value: sites[0] })
          : field({ name: "site", label: "Site code", required: true }),
        field({ name: "screening_date", label: "Screening date", type: "date" }))),
    fieldset("Demographics",
      h("div.form-row",
        field({ name: "demographics.birth_date", label: "Birth date", type: "date" }),
        field({ name: "demographics.age_years", label: "or age", unit: "years", type: "number", step: "any" }),
        field({ name: "demographics.sex", label: "Sex", required: true, options: [["", "choose"], ["male", "male"], ["female", "female"]] }),
        field({ name: "demographics.weight_kg", label: "Weight", unit: "kg", type: "number", step: "any" }),
        field({ name: "demographics.height_cm", label: "Height", unit: "cm", type: "number", step: "any" }))),
    fieldset("Performance status",
      h("div.form-row",
        field({ name: "ecog", label: "ECOG performance status", type: "number", step: "1", help: "0 (fully active) to 5" }),
        field({ name: "life_expectancy_weeks", label: "Life expectancy", unit: "weeks", type: "number", step: "any" }))),
    fieldset("Diagnosis",
      h("div.form-row",
        field({ name: "diagnosis.histology", label: "Histology", options: [["", "not recorded"], "NET", "NEC", "MiNEN"] }),
        field({ name: "diagnosis.histology_confirmed", label: "Histologically confirmed", options: YES_NO }),
        field({ name: "diagnosis.grade", label: "WHO grade", options: [["", "not recorded"], "G1", "G2", "G3"] }),
        field({ name: "diagnosis.ki67_pct", label: "Ki-67", unit: "%", type: "number", step: "any" }),
        field({ name: "diagnosis.differentiation", label: "Differentiation", options: [["", "not recorded"], "well", "poor"] })),
      h("div.form-row",
        field({ name: "diagnosis.primary_site", label: "Primary site", help: "e.g. pancreas, ileum" }),
        field({ name: "diagnosis.extent", label: "Extent", options: [["", "not recorded"], "localised", ["locally_advanced", "locally advanced"], "metastatic"] }),
        field({ name: "diagnosis.resectable", label: "Resectable", options: YES_NO }),
        field({ name: "diagnosis.diagnosis_date", label: "Diagnosis date", type: "date" }))),
    fieldset("Informed consent",
      h("div.form-row",
        field({ name: "consent.signed", label: "Consent signed", options: YES_NO }),
        field({ name: "consent.date", label: "Consent date", type: "date" }))),
    fieldset("Laboratory results",
      h("p.muted", "Fill the value, its unit and the lab's normal range (LLN, ULN) where a criterion uses multiples of it; leave a lab empty if not done."),
      LABS.map(([key, label, unit]) => h("div.lab-row", { dataset: { lab: key } },
        field({ name: `labs.${key}.value`, label, type: "number", step: "any" }),
        labField({ name: `labs.${key}.unit`, label, part: "unit", value: unit }),
        labField({ name: `labs.${key}.ref_low`, label, part: "LLN", type: "number" }),
        labField({ name: `labs.${key}.ref_high`, label, part: "ULN", type: "number" }),
        labField({ name: `labs.${key}.date`, label, part: "date", type: "date" })))),
    fieldset("Other parts of the record",
      field({ name: "extra", label: "Lesions, imaging, therapies, conditions, events, flags, attestations (JSON)", type: "textarea",
        help: "A JSON object with the other sections of the record format; an uploaded record fills it.", attrs: { rows: "8", spellcheck: "false" } })),
    field({ name: "reason", label: "Reason for the change", help: "needed only when a stored record is changed" }),
    h("p.validity#record-validity", { role: "status" }),
    h("div.actions", h("button.primary#save-record", { type: "submit" }, "Save record")));

  const upload = uploadBox(form);
  const card = h("div", upload, form);
  let timer = null;
  let seq = 0;
  const validity = form.querySelector("#record-validity");

  async function check() {
    const mine = ++seq;
    let built;
    try { built = buildRecord(form); } catch (err) { showLocal(err); return; }
    try {
      await post("patients/validate", built.record);
      if (mine !== seq) return;
      keepFocus(() => clearErrors(form));
      validity.textContent = "The record is valid.";
      validity.className = "validity ok";
    } catch (err) {
      if (mine !== seq || !(err instanceof ApiError)) { if (!(err instanceof ApiError)) throw err; return; }
      keepFocus(() => markErrors(form, remap(err, built)));
      validity.textContent = "The record has a problem: see the marked field.";
      validity.className = "validity bad";
    }
  }
  function showLocal(err) {
    keepFocus(() => markErrors(form, err));
    validity.textContent = "The record has a problem: see the marked field.";
    validity.className = "validity bad";
  }
  form.addEventListener("input", () => {
    clearTimeout(timer);
    validity.textContent = "Checking…";
    validity.className = "validity";
    timer = setTimeout(check, 350);
  });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(check, 50); });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearTimeout(timer);
    seq++;
    let built;
    try { built = buildRecord(form); } catch (err) { showLocal(err); return; }
    const reason = form.elements.reason.value.trim();
    try {
      const saved = await request("POST", `patients${reason ? `?reason=${encodeURIComponent(reason)}` : ""}`, { json: built.record });
      clearErrors(form);
      state.patientId = saved.patient_id;
      state.record = built.record;
      validity.textContent = saved.changed ? `Saved: patient ${saved.patient_id}.` : `Patient ${saved.patient_id}: no change to the stored record.`;
      validity.className = "validity ok";
      toast(saved.created ? `Patient ${saved.patient_id} stored.` : `Record of ${saved.patient_id} saved.`);
      onSaved();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      markErrors(form, remap(err, built));
      validity.textContent = "Not saved.";
      validity.className = "validity bad";
    }
  });
  return card;
}

// Run fn (which marks fields) without moving the focus away from where the user is typing.
function keepFocus(fn) {
  const active = document.activeElement;
  const start = active && "selectionStart" in active ? safe(() => active.selectionStart) : null;
  fn();
  if (active && active !== document.activeElement && document.contains(active)) {
    active.focus({ preventScroll: true });
    if (start !== null) safe(() => active.setSelectionRange(start, start));
  }
}
function safe(fn) { try { return fn(); } catch { return null; } }

function uploadBox(form) {
  const input = h("input#record-file", { type: "file", accept: ".yaml,.yml,.json,application/json,application/yaml", "aria-describedby": "record-file-msg" });
  const msg = h("div#record-file-msg.upload-msg", { role: "status" });
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    clear(msg);
    const text = await file.text();
    const json = /\.json$/i.test(file.name) || file.type === "application/json";
    try {
      const checked = await request("POST", "patients/validate", {
        body: text, headers: { "Content-Type": json ? "application/json" : "application/yaml" },
      });
      fillForm(form, checked.record);
      msg.append(h("span.ok-text", `${file.name}: valid; the form below holds it — review and save.`));
      form.querySelector("[name=patient_id]").focus();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const where = (err.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
      msg.append(errorBox(err), where ? h("p.muted", `Field: ${where}`) : null);
    }
  });
  return h("section.card.upload", { "aria-labelledby": "upload-title" },
    h("h2#upload-title", "Upload a record"),
    h("div.field", h("label", { for: "record-file" }, "Record file (YAML or JSON)"), input,
      h("div.help", "The file is checked by the server and then fills the form.")),
    msg);
}

function setValue(form, name, value) {
  const el = form.elements.namedItem(name);
  if (!el) return false;
  el.value = value === null || value === undefined ? "" : String(value);
  return true;
}

function fillForm(form, rec) {
  for (const el of form.elements) {
    if (!el.name || el.name === "site" || el.name === "reason") continue;
    if (el.name.endsWith(".unit")) continue;
    el.value = "";
  }
  const extra = {};
  for (const [key, value] of Object.entries(rec)) {
    if (!FORM_KEYS.has(key)) { extra[key] = value; continue; }
    if (key === "labs") continue;
    if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        if (!setValue(form, `${key}.${k}`, v)) { extra[key] = extra[key] || {}; extra[key][k] = v; }
      }
    } else if (key === "site") {
      const sel = form.elements.site;
      if ([...(sel.options || [])].some((o) => o.value === value) || sel.tagName !== "SELECT") sel.value = value;
      else { sel.append(h("option", { value }, value)); sel.value = value; }
    } else setValue(form, key, value);
  }
  const rest = [];
  const offered = new Set(LABS.map(([k]) => k));
  for (const lab of rec.labs || []) {
    const slot = form.elements.namedItem(`labs.${lab.name}.value`);
    if (!offered.has(lab.name) || slot.value !== "") { rest.push(lab); continue; }
    for (const part of LAB_PARTS) setValue(form, `labs.${lab.name}.${part}`, lab[part]);
  }
  if (rest.length) extra.labs = rest;
  form.elements.extra.value = Object.keys(extra).length ? JSON.stringify(extra, null, 2) : "";
}

// The record as JSON from the form; `labs` keeps which form row became which labs[i].
function buildRecord(form) {
  const rec = {};
  const put = (path, value) => {
    const parts = path.split(".");
    let o = rec;
    for (const p of parts.slice(0, -1)) o = o[p] = o[p] || {};
    o[parts[parts.length - 1]] = value;
  };
  const numeric = (el) => el.type === "number";
  for (const el of form.elements) {
    if (!el.name || el.name === "extra" || el.name === "reason" || el.name.startsWith("labs.")) continue;
    const raw = el.value.trim();
    if (raw === "") continue;
    let value = raw;
    if (numeric(el)) value = Number.isFinite(Number(raw)) ? Number(raw) : raw;
    else if (raw === "true" || raw === "false") value = raw === "true";
    put(el.name, value);
  }
  let extra = {};
  const text = form.elements.extra.value.trim();
  if (text) {
    try { extra = JSON.parse(text); } catch (e) {
      throw new ApiError(422, { detail: "the other parts of the record are not valid JSON", errors: [{ field: "extra", message: `not valid JSON: ${e.message}` }] });
    }
    if (!extra || typeof extra !== "object" || Array.isArray(extra)) {
      throw new ApiError(422, { detail: "the other parts must be a JSON object", errors: [{ field: "extra", message: "write a JSON object: {\"lesions\": [...], ...}" }] });
    }
  }
  const labs = [];
  const labRows = [];
  for (const [key] of LABS) {
    const part = (name) => form.elements.namedItem(`labs.${key}.${name}`).value.trim();
    if (part("value") === "") continue;
    const lab = { name: key };
    for (const name of LAB_PARTS) {
      const v = part(name);
      if (v === "") continue;
      lab[name] = name === "unit" || name === "date" ? v : (Number.isFinite(Number(v)) ? Number(v) : v);
    }
    labs.push(lab);
    labRows.push(key);
  }
  const { labs: extraLabs, ...others } = extra;
  for (const [k, v] of Object.entries(others)) {
    if (FORM_KEYS.has(k) && rec[k] && typeof v === "object") rec[k] = { ...v, ...rec[k] };
    else if (!(k in rec)) rec[k] = v;
  }
  const all = [...labs, ...(Array.isArray(extraLabs) ? extraLabs : [])];
  if (all.length) rec.labs = all;
  return { record: rec, labRows, extraKeys: new Set(Object.keys(extra)) };
}

// The API names fields of the record ("labs[2].value", "lesions[0].date"): point each at the
// form control that holds it, keeping the API's own message.
function remap(err, built) {
  const fields = (name) => [...document.querySelectorAll("#record-form .field")].map((f) => f.dataset.field).filter((f) => f === name || f.startsWith(`${name}.`));
  const errors = (err.errors || []).map((e) => {
    let name = e.field || "";
    const lab = /^labs\[(\d+)\](?:\.(\w+))?/.exec(name);
    if (lab) {
      const i = Number(lab[1]);
      const key = built.labRows[i];
      if (key) name = `labs.${key}.${LAB_PARTS.includes(lab[2]) ? lab[2] : "value"}`;
      else return { field: "extra", message: `${e.field}: ${e.message}` };
    } else {
      const top = name.split(/[.[]/)[0];
      if (built.extraKeys.has(top) && !fields(name).length) return { field: "extra", message: `${e.field}: ${e.message}` };
    }
    const hits = fields(name);
    return { field: hits.includes(name) ? name : (hits[0] || name), message: e.message };
  });
  const copy = Object.create(Object.getPrototypeOf(err));
  return Object.assign(copy, err, { errors, message: err.message });
}

// ---- screening, trial finder, enrolment -------------------------------------------------

function screeningCard(ctx, state, trials, results, enrolBox) {
  const form = h("form.card#screen-form", { novalidate: true, "aria-labelledby": "screen-title", hidden: true },
    h("h2#screen-title", "Screen patient ", h("span#screen-patient")),
    h("div.form-row",
      field({ name: "trial_id", label: "Trial", options: trials.map((t) => [t.trial_id, `${t.trial_id} — ${t.title || ""}`]) }),
      h("div.actions",
        ctx.can("screen") ? h("button.primary#screen-one", { type: "submit" }, "Screen against this trial") : null,
        ctx.can("screen") ? h("button#trial-finder", { type: "button" }, "Trial finder: screen against all trials") : null)));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const trialId = form.elements.trial_id.value;
    try {
      const s = await post(`patients/${encodeURIComponent(state.patientId)}/screenings`, { trial_id: trialId });
      clearErrors(form);
      clear(results).append(screeningView(s));
      showEnrol(ctx, state, [s], enrolBox);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      markErrors(form, err);
    }
  });
  const finder = form.querySelector("#trial-finder");
  if (finder) finder.addEventListener("click", async () => {
    try {
      const found = await post(`patients/${encodeURIComponent(state.patientId)}/trial-finder`, {});
      clearErrors(form);
      const detail = h("div#finder-detail");
      clear(results).append(finderView(found.items, detail), detail);
      showEnrol(ctx, state, found.items, enrolBox);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      markErrors(form, err);
    }
  });
  return form;
}

function countsText(c) {
  return `${c.met} met · ${c.not_met} not met · ${c.unknown} unknown · ${c.needs_review} needs review`;
}

function finderView(items, detail) {
  return h("section.card", { "aria-labelledby": "finder-title" },
    h("h2#finder-title", "Trial finder"),
    table("Every trial, best match first", [
      { key: "rank", label: "Rank", numeric: true },
      { key: "trial_id", label: "Trial", render: (r) => h("span", h("strong", r.trial_id), h("br"), h("span.muted", r.title || "")) },
      { key: "verdict", label: "Outcome", render: (r) => badge(r.verdict) },
      { key: "met", label: "Met", numeric: true, render: (r) => String(r.counts.met) },
      { key: "not_met", label: "Not met", numeric: true, render: (r) => String(r.counts.not_met) },
      { key: "unknown", label: "Unknown", numeric: true, render: (r) => String(r.counts.unknown) },
      { key: "needs_review", label: "Needs review", numeric: true, render: (r) => String(r.counts.needs_review) },
      { key: "cohorts", label: "Cohorts", render: (r) => r.cohorts.join(", ") || "—" },
      { key: "show", label: "Criteria", render: (r) => h("button.link-button", { type: "button", on: { click: () => clear(detail).append(screeningView(r)) } }, `Show criteria of ${r.trial_id}`) },
    ], items, { id: "finder-table" }));
}

function evidenceList(evidence) {
  if (!evidence.length) return h("p.muted", "No evidence in the record.");
  return h("ul.evidence-list", evidence.map((e) => h("li",
    h("code", e.item), ": ", fmt(e.value, e.unit || ""), e.date ? ` (${e.date})` : "", e.note ? ` — ${e.note}` : "")));
}

export function screeningView(s) {
  const rows = [];
  s.criteria.forEach((c, i) => {
    const detailId = `ev-${s.trial_id}-${i}`.replace(/[^\w-]/g, "-");
    const detailRow = h("tr.evidence-row", { id: detailId, hidden: true },
      h("td", { colspan: "5" }, h("div.evidence", h("strong", "Evidence: "), evidenceList(c.evidence || []),
        c.source ? h("p.muted", `Protocol source: ${c.source}`) : null)));
    const toggle = h("button.link-button", { type: "button", "aria-expanded": "false", "aria-controls": detailId,
      on: { click: () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        detailRow.hidden = !open;
      } } }, `Evidence (${(c.evidence || []).length})`, h("span.visually-hidden", ` for ${c.id}`));
    rows.push(h("tr", { dataset: { criterion: c.id, status: c.status } },
      h("td", h("strong", c.id), h("br"), h("span.muted", c.section)),
      h("td", c.label),
      h("td", badge(STATUS_TEXT[c.status] || c.status, c.status)),
      h("td", c.reason || ""),
      h("td", (c.evidence || []).length ? toggle : h("span.muted", "none"))), (c.evidence || []).length ? detailRow : null);
  });
  return h("section.card.screening", { "aria-labelledby": `scr-${s.trial_id}` },
    h("h2", { id: `scr-${s.trial_id}` }, `Screening against ${s.trial_id}: `, badge(s.verdict)),
    h("p", `Screened as of ${s.screening_date}. ${countsText(s.counts)}.`),
    s.cohorts.length ? h("p", "Cohorts the assignment rule allows: ", s.cohorts.join(", ")) : null,
    s.assumptions.length ? h("ul.note", s.assumptions.map((a) => h("li", a))) : null,
    h("table.data.criteria#criteria-table",
      h("caption", `Criteria of ${s.trial_id} with their outcome`),
      h("thead", h("tr", ["Criterion", "Label", "Outcome", "Reason", "Evidence"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", rows)));
}

async function showEnrol(ctx, state, screenings, box) {
  clear(box);
  if (!ctx.can("enrol")) return;
  const eligible = screenings.filter((s) => s.verdict === "eligible");
  if (!eligible.length) {
    box.append(h("p.note", "No eligible screening yet: enrolment needs an eligible screening of the trial."));
    return;
  }
  const form = h("form.card#enrol-form", { novalidate: true, "aria-labelledby": "enrol-title" },
    h("h2#enrol-title", `Enrol ${state.patientId}`),
    h("div.form-row",
      field({ name: "trial_id", label: "Trial", options: eligible.map((s) => s.trial_id) }),
      h("div.field-slot"),
      field({ name: "consent_date", label: "Informed consent date", type: "date", required: true })),
    h("p.muted#enrol-rule"),
    h("div.actions", h("button.primary#enrol", { type: "submit" }, "Enrol")));
  const slot = form.querySelector(".field-slot");
  const rule = form.querySelector("#enrol-rule");
  async function cohorts() {
    const trialId = form.elements.trial_id.value;
    const s = eligible.find((x) => x.trial_id === trialId);
    const protocol = await get(`trials/${encodeURIComponent(trialId)}`);
    const options = (protocol.cohorts || []).map((c) => [c.id, `${c.label || c.id}${s.cohorts.includes(c.id) ? " (rule allows)" : ""}`]);
    const chosen = s.cohorts.length ? s.cohorts[0] : "";
    const f = field({ name: "cohort", label: "Cohort", options: [["", "as the rule assigns"], ...options], value: chosen });
    slot.replaceChildren(f);
    rule.textContent = s.cohorts.length
      ? `The protocol's assignment rule allows: ${s.cohorts.join(", ")}. The server checks the choice.`
      : "The assignment rule names no cohort for this record.";
  }
  const consent = state.record && state.record.consent && state.record.consent.date;
  if (consent) form.elements.consent_date.value = consent;
  form.elements.trial_id.addEventListener("change", cohorts);
  await cohorts();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { trial_id: form.elements.trial_id.value, consent_date: form.elements.consent_date.value || null };
    if (form.elements.cohort.value) body.cohort = form.elements.cohort.value;
    try {
      const e = await post(`patients/${encodeURIComponent(state.patientId)}/enrolments`, body);
      clearErrors(form);
      form.replaceChildren(h("h2#enrol-title", "Enrolled"),
        h("p#enrolled", `${e.patient_id} is enrolled in ${e.trial_id}, cohort ${e.cohort}, consent ${e.consent_date}. `,
          h("a", { href: `#/patients/${encodeURIComponent(e.patient_id)}` }, "Open the patient's timeline")));
      toast(`Enrolled in ${e.trial_id} (${e.cohort}).`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      markErrors(form, err);
    }
  });
  box.append(form);
}
