// Small DOM helpers shared by every page. Text is always set as text (never innerHTML), so
// data from the API cannot inject markup.

// h("tag.class#id", {attr: value, on: {click: fn}}, ...children)
export function h(spec, attrs = {}, ...children) {
  const m = /^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i.exec(spec) || [null, "div", ""];
  const el = document.createElement(m[1] || "div");
  for (const part of (m[2] || "").match(/[.#][\w-]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  if (attrs === null || typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "text") el.textContent = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// A number with its unit, rounded for reading (the API keeps full precision).
export function fmt(value, unit = "", digits = 3) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value !== "number") return unit ? `${value} ${unit}` : String(value);
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  let text;
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) text = value.toExponential(digits - 1);
  else text = Number(value.toPrecision(Math.max(digits, Math.ceil(Math.log10(abs + 1)))))
    .toLocaleString("en", { maximumFractionDigits: 6 });
  return unit ? `${text} ${unit}` : text;
}

// A table: columns = [{key, label, unit?, render?(row)}]; caption is required for screen readers.
export function table(caption, columns, rows, { id, rowAttrs } = {}) {
  const head = h("tr", columns.map((c) => h("th", { scope: "col" }, c.unit ? `${c.label} (${c.unit})` : c.label)));
  const body = rows.map((row, i) => h("tr", rowAttrs ? rowAttrs(row, i) : {},
    columns.map((c) => h("td", c.numeric ? { class: "num" } : {},
      c.render ? c.render(row) : fmt(row[c.key])))));
  return h("table.data", id ? { id } : {}, h("caption", caption), h("thead", head),
    h("tbody", body.length ? body : h("tr", h("td", { colspan: String(columns.length), class: "muted" }, "none"))));
}

let fieldSeq = 0;
// A labelled form control with its unit and an error slot the API's message goes into.
export function field({ name, label, type = "text", unit, value, required, options, step, min, max, help, attrs = {} }) {
  const id = `f-${name.replace(/[^\w-]/g, "-")}-${++fieldSeq}`;
  const errId = `${id}-err`;
  let control;
  if (options) {
    control = h("select", { id, name, required, "aria-describedby": errId, ...attrs },
      options.map((o) => {
        const [v, text] = Array.isArray(o) ? o : [o, o];
        return h("option", { value: v, selected: String(value) === String(v) }, text);
      }));
  } else if (type === "textarea") {
    control = h("textarea", { id, name, required, "aria-describedby": errId, ...attrs });
    if (value !== undefined && value !== null) control.value = value;
  } else {
    control = h("input", { id, name, type, required, step, min, max, "aria-describedby": errId, ...attrs });
    if (value !== undefined && value !== null) control.value = value;
  }
  const labelText = unit ? `${label} (${unit})` : label;
  return h("div.field", { dataset: { field: name } },
    h("label", { for: id }, labelText, required ? h("span.req", { "aria-hidden": "true" }, " *") : null),
    control,
    help ? h("div.help", help) : null,
    h("div.error", { id: errId, role: "alert" }));
}

// A checkbox with its label and an error slot (formValues reads it as true/false).
export function checkbox(name, label) {
  return h("div.field.check", { dataset: { field: name } },
    h("label", h("input", { type: "checkbox", name }), ` ${label}`),
    h("div.error", { role: "alert" }));
}

// Replace the children of ``el`` (nested arrays flattened; null and false left out).
export function fill(el, ...children) {
  return append(clear(el), children);
}

// A query string of the values given: empty, unset and unticked ones left out (defaults).
export function query(params) {
  return new URLSearchParams(Object.entries(params).filter(([, v]) => v !== null && v !== undefined && v !== "" && v !== false)).toString();
}

export function clearErrors(form) {
  for (const f of form.querySelectorAll(".field")) {
    f.classList.remove("invalid");
    const ctl = f.querySelector("input,select,textarea");
    if (ctl) ctl.removeAttribute("aria-invalid");
    f.querySelector(".error").textContent = "";
  }
  const summary = form.querySelector(".form-error");
  if (summary) summary.textContent = "";
}

// Mark each field the API named with the API's own message; the rest goes to the summary.
export function markErrors(form, err) {
  clearErrors(form);
  const rest = [];
  for (const e of err.errors || []) {
    const name = e.field || "";
    const f = [...form.querySelectorAll(".field")].find((x) => name === x.dataset.field
      || name.endsWith(`.${x.dataset.field}`) || x.dataset.field.endsWith(`.${name}`));
    if (f) {
      f.classList.add("invalid");
      const ctl = f.querySelector("input,select,textarea");
      if (ctl) ctl.setAttribute("aria-invalid", "true");
      f.querySelector(".error").textContent = e.message + (e.hint ? ` (${e.hint})` : "");
    } else rest.push(name ? `${name}: ${e.message}` : e.message);
  }
  let summary = form.querySelector(".form-error");
  if (!summary) {
    summary = h("div.form-error", { role: "alert" });
    form.prepend(summary);
  }
  const hint = err.problem && err.problem.hint ? ` Fix: ${err.problem.hint}` : "";
  summary.textContent = [err.message + hint, ...rest].join(" — ");
  const first = form.querySelector("[aria-invalid=true]");
  if (first) first.focus();
}

export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") out[el.name] = el.checked;
    else if (el.type === "number") out[el.name] = el.value === "" ? null : Number(el.value);
    else out[el.name] = el.value === "" ? null : el.value;
  }
  return out;
}

export function toast(text, kind = "info") {
  const t = document.getElementById("toast");
  t.className = `toast ${kind}`;
  t.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.textContent = ""; t.className = "toast"; }, 6000);
}

export function badge(text, kind = text) {
  return h("span.badge", { class: `badge ${String(kind).replace(/[^\w-]/g, "-")}` }, text);
}

export function errorBox(err) {
  const hint = err && err.problem && err.problem.hint;
  return h("div.alert", { role: "alert" }, err.message || String(err), hint ? ` Fix: ${hint}` : "");
}

// A figure the API draws (SVG or PNG): alt text says what it shows.
export function figure(src, alt, caption) {
  return h("figure.plot", h("img", { src, alt, loading: "lazy" }), caption ? h("figcaption", caption) : null);
}

export function page(title, ...children) {
  document.title = `${title} · theratrial`;
  return [h("h1", title), ...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false)];
}

// An ISO 8601 time as "YYYY-MM-DD HH:MM:SS UTC" (the API sends UTC).
export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
