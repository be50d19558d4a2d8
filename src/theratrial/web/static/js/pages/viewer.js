// The image viewer (#/viewer, #/viewer/STUDY): PET (or SPECT) fused over CT in axial,
// coronal and sagittal views with a linked crosshair, a coronal MIP, window/level, a colour
// bar in SUV (or Bq/mL), the value under the cursor, VOI tools (sphere, threshold in a box,
// erase, undo) and the lesion table the server measures when the VOIs are saved as a DICOM
// SEG. Interaction follows OHIF/cornerstone3D: the wheel or the arrow keys change the slice,
// a drag in the window/level tool changes the window, a click moves the crosshair.
import { request, get, upload } from "../api.js";
import { clear, errorBox, field, fmt, h, markErrors, page, table, toast } from "../ui.js";
import { Study, VIEWS } from "../viewer/volume.js";
import { labelColour, paintColourBar, paintMip, paintView } from "../viewer/render.js";
import { Edits, boxFromRectangle, compact, sphereIndices, thresholdIndices } from "../viewer/tools.js";

export async function render(main, ctx) {
  const id = ctx.params && ctx.params[0];
  if (!id) return renderList(main, ctx);
  return renderStudy(main, ctx, id);
}

// ---------------------------------------------------------------- the list and the upload

// True while the address still shows the page that started loading (a slow load must not
// draw into the page the user moved on to).
function stillHere(hash) {
  return location.hash === hash;
}

async function renderList(main, ctx) {
  const hash = location.hash;
  const data = await get("studies");
  const rows = data.items || [];
  const list = table("Studies of the patients of your sites", [
    { key: "patient_id", label: "Patient" },
    { key: "study_date", label: "Study date" },
    { key: "modalities", label: "Series", render: (r) => (r.modalities || []).join(", ") || "—" },
    { key: "n_vois", label: "Saved VOIs", numeric: true },
    { key: "open", label: "Viewer", render: (r) => (r.archived
      ? h("a", { href: `#/viewer/${r.id}` }, `Open study ${r.id}`)
      : h("span.muted", "images not in the archive")) },
  ], rows, { id: "studies" });
  const parts = [h("section.card", { "aria-labelledby": "studies-title" }, h("h2#studies-title", "Studies"), list)];
  if (ctx.can("write_imaging")) parts.push(await uploadForm(ctx));
  if (!stillHere(hash)) return;
  main.append(...page("Images", ...parts));
}

async function uploadForm(ctx) {
  const patients = (await get("patients?limit=500")).items || [];
  const progress = h("progress#upload-progress", { max: 100 });
  progress.value = 0;
  const status = h("span#upload-status", { role: "status", "aria-live": "polite" });
  const form = h("form.card#upload-form", { novalidate: true, "aria-labelledby": "upload-title" },
    h("h2#upload-title", "Upload a study"),
    h("p.muted", "A zip of the DICOM files of one PET/CT or SPECT/CT study. It is streamed to the server, "
      + "filed in the image archive with the patient, and opened in the viewer."),
    h("div.form-row",
      field({ name: "patient_id", label: "Patient", required: true,
        options: patients.length ? patients.map((p) => p.patient_id) : [["", "no patient at your sites"]] }),
      field({ name: "body", label: "Study (zip of DICOM files)", type: "file", required: true,
        attrs: { accept: ".zip,application/zip" } })),
    h("div.upload-progress", h("label", { for: "upload-progress" }, "Upload progress"), progress, status),
    h("div.actions", h("button.primary#upload-button", { type: "submit" }, "Upload")),
    ctx.can("run_jobs")
      ? h("p.muted", "Studies on the PACS: start a ", h("code", "pacs_import"), " job on the ",
        h("a", { href: "#/jobs" }, "Jobs page"), ", then upload or open the imported study.")
      : null);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = form.querySelector("input[type=file]").files[0];
    const patient = form.querySelector("select[name=patient_id]").value;
    if (!file) {
      markErrors(form, { message: "choose a zip file", errors: [{ field: "body", message: "choose a zip file of DICOM" }] });
      return;
    }
    const button = form.querySelector("#upload-button");
    button.disabled = true;
    status.textContent = "Uploading…";
    try {
      const study = await upload(`studies?patient_id=${encodeURIComponent(patient)}`, file, {
        contentType: "application/zip",
        onProgress: (f) => {
          progress.value = Math.round(100 * f);
          status.textContent = f < 1 ? `${Math.round(100 * f)} % sent` : "Sent; filing the study…";
        },
      });
      progress.value = 100;
      status.textContent = "Filed.";
      toast(`Study ${study.id} filed for ${study.patient_id}`, "ok");
      ctx.navigate(`/viewer/${study.id}`);
    } catch (err) {
      status.textContent = "Upload refused.";
      progress.value = 0;
      markErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// ---------------------------------------------------------------- loading a study

async function fetchBytes(path, bytes, onProgress) {
  const response = await request("GET", path, { raw: true, headers: { Accept: "application/octet-stream" } });
  const out = new Uint8Array(bytes);
  let offset = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.length > bytes) throw new Error("the server sent more voxels than the grid holds");
    out.set(value, offset);
    offset += value.length;
    onProgress(offset / bytes);
  }
  if (offset !== bytes) throw new Error("the volume arrived incomplete; reload the page");
  return out.buffer;
}

const CT_PRESETS = {
  soft: ["Soft tissue (W 400, L 40)", 400, 40],
  lung: ["Lung (W 1500, L −600)", 1500, -600],
  bone: ["Bone (W 2000, L 300)", 2000, 300],
  liver: ["Liver (W 150, L 90)", 150, 90],
};

async function renderStudy(main, ctx, id) {
  const hash = location.hash;
  const meta = await get(`studies/${encodeURIComponent(id)}`);
  if (!stillHere(hash)) return;
  const petSeries = meta.series.find((s) => s.role === "pet");
  const ctSeries = meta.series.find((s) => s.role === "ct");
  const [nz, ny, nx] = meta.grid.shape_zyx;
  const n = nx * ny * nz;
  const loading = h("progress#volume-progress", { max: 100 });
  loading.value = 0;
  const loadingText = h("span", { role: "status", "aria-live": "polite" }, "Loading the volumes…");
  const loader = h("div.card.viewer-loading", h("label", { for: "volume-progress" }, "Volume download"), loading, loadingText);
  main.append(...page(`Images · ${meta.patient_id}`), loader);
  const t0 = performance.now();
  const parts = ctSeries ? 2 : 1;
  const done = [0, 0];
  const progress = (k) => (f) => { done[k] = f; loading.value = Math.round((100 * (done[0] + done[1])) / parts); };
  const [petBuf, ctBuf, labelBuf] = await Promise.all([
    fetchBytes(`studies/${id}/volume?series=${encodeURIComponent(petSeries.series_uid)}`, 4 * n, progress(0)),
    ctSeries ? fetchBytes(`studies/${id}/volume?series=${encodeURIComponent(ctSeries.series_uid)}`, 2 * n, progress(1)) : null,
    meta.labels ? fetchBytes(`studies/${id}/labels`, n, () => {}) : null,
  ]);
  const loadMs = performance.now() - t0;
  if (!stillHere(hash)) return;
  const study = new Study(meta, new Float32Array(petBuf), ctBuf ? new Int16Array(ctBuf) : null);
  if (labelBuf) study.labels.set(new Uint8Array(labelBuf));
  loader.remove();
  new Viewer(main, ctx, meta, study, { loadMs, id });
}

// ---------------------------------------------------------------- the viewer

class Viewer {
  constructor(main, ctx, meta, study, { loadMs, id }) {
    Object.assign(this, { main, ctx, meta, study, id, loadMs });
    this.canWrite = ctx.can("write_imaging");
    this.edits = new Edits(study);
    this.names = meta.labels ? [...meta.labels.names] : [];
    this.lesions = new Map((meta.lesions || []).map((l) => [l.name, l]));
    this.dirty = new Set();
    this.pos = { x: Math.floor(study.nx / 2), y: Math.floor(study.ny / 2), z: Math.floor(study.nz / 2) };
    const suv = Boolean(meta.pet.suv_type);
    this.quantity = suv ? `SUV${meta.pet.suv_type}` : meta.pet.quantity;
    this.unit = meta.pet.units;
    this.short = suv ? "SUV" : meta.pet.units;
    const hi = Math.max(meta.pet.p99_5 || 0, 1e-3);
    this.display = { petLo: 0, petHi: niceCeil(hi), ctWidth: 400, ctLevel: 40, opacity: 0.6 };
    this.tool = "navigate";
    this.wlTarget = "ct";
    this.fits = {};
    this.stats = { renders: 0, lastMs: 0 };
    this.build();
    this.renderAll();
    this.refreshTable();
    window.__viewer = this;
  }

  build() {
    const { study } = this;
    this.canvases = {};
    this.captions = {};
    const figures = VIEWS.map((view) => {
      const [k, total] = study.sliceOf(view, this.pos);
      const canvas = h(`canvas.vp-canvas#vp-${view}`, {
        tabindex: "0", role: "slider", "aria-label": `${cap(view)} slice`,
        "aria-valuemin": "1", "aria-valuemax": String(total), "aria-valuenow": String(k + 1),
      });
      this.canvases[view] = canvas;
      const caption = h(`figcaption#cap-${view}`);
      this.captions[view] = caption;
      this.wire(view, canvas);
      return h("figure.vp", { dataset: { view } }, canvas, caption);
    });
    this.mipCanvas = h("canvas.vp-canvas#vp-mip", { role: "img", "aria-label": "Coronal maximum-intensity projection of the PET; click to move the crosshair to the hottest voxel behind the point" });
    this.mipCanvas.addEventListener("pointerdown", (ev) => this.mipClick(ev));
    figures.push(h("figure.vp", { dataset: { view: "mip" } }, this.mipCanvas, h("figcaption", "MIP (coronal, PET, inverted grey)")));
    this.grid = h("div.viewer-grid", figures);
    this.colourBar = h("canvas#colour-bar", { width: 96, height: 300, role: "img" });
    this.colourCaption = h("figcaption#colour-bar-caption");
    this.readout = h("output#viewer-value", { "aria-live": "off" }, "—");
    this.position = h("p#viewer-position.muted");
    this.tableSlot = h("div#lesion-table-slot");
    this.saveStatus = h("p#save-status.muted", { role: "status", "aria-live": "polite" });
    const side = h("aside.viewer-side", { "aria-label": "Scale, value and lesions" },
      h("figure.colour-bar", this.colourBar, this.colourCaption),
      h("div.readout", h("span.muted", "Value under the cursor: "), this.readout),
      this.position,
      this.saveStatus,
      conventions(this.meta));
    const toolbar = this.toolbar();
    const lesions = h("section.card.lesions", { "aria-labelledby": "lesions-title" },
      h("h2#lesions-title", "Lesions"),
      h("p.muted", "Click a row to move the views to its VOI. Sphere and threshold VOIs are measured "
        + "by the server (SUVpeak: the 1 cm³ sphere of PERCIST) when they are saved as a DICOM SEG."),
      this.tableSlot);
    const body = h("div.viewer", { tabindex: "-1" }, toolbar, h("div.viewer-main", this.grid, side), lesions);
    body.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "z" && this.canWrite) {
        ev.preventDefault(); this.undo();
      }
    });
    this.main.append(body);
    const resize = () => {
      if (!this.grid.isConnected) return;
      this.sizeCanvases();
      this.renderAll();
    };
    this.sizeCanvases();
    if (window.ResizeObserver) new ResizeObserver(() => resize()).observe(this.grid);
  }

  toolbar() {
    const tools = [["navigate", "Crosshair"], ["wl", "Window/level"]];
    if (this.canWrite) tools.push(["sphere", "Sphere VOI"], ["threshold", "Threshold in a box"], ["erase", "Erase"]);
    const radios = h("fieldset.tools", h("legend", "Tool"), tools.map(([value, label]) => h("label.tool",
      h("input", { type: "radio", name: "tool", value, checked: value === this.tool,
        on: { change: () => { this.tool = value; this.grid.dataset.tool = value; } } }), ` ${label}`)));
    this.grid.dataset.tool = this.tool;
    const d = this.display;
    const num = (name, label, value, step, onChange, unit) => {
      const f = field({ name, label, type: "number", value, step, unit });
      f.querySelector("input").addEventListener("change", (ev) => onChange(Number(ev.target.value)));
      return f;
    };
    this.petLoField = num("pet_lo", "PET lower", d.petLo, "any", (v) => { d.petLo = v; this.renderAll(); }, this.short);
    this.petHiField = num("pet_hi", "PET upper", d.petHi, "any", (v) => { d.petHi = v; this.renderAll(); }, this.short);
    const preset = field({ name: "ct_preset", label: "CT window", value: "soft",
      options: Object.entries(CT_PRESETS).map(([k, v]) => [k, v[0]]).concat([["custom", "Custom (drag)"]]) });
    this.presetSelect = preset.querySelector("select");
    this.presetSelect.addEventListener("change", () => {
      const p = CT_PRESETS[this.presetSelect.value];
      if (p) { d.ctWidth = p[1]; d.ctLevel = p[2]; this.renderAll(); }
    });
    const opacity = field({ name: "opacity", label: "PET opacity", type: "range", value: 60, min: 0, max: 100, step: 5, unit: "%" });
    opacity.querySelector("input").addEventListener("input", (ev) => { d.opacity = Number(ev.target.value) / 100; this.renderAll(); });
    const target = field({ name: "wl_target", label: "Window/level drag adjusts", value: "ct", options: [["ct", "CT window"], ["pet", "PET upper"]] });
    target.querySelector("select").addEventListener("change", (ev) => { this.wlTarget = ev.target.value; });
    const rows = [radios, h("fieldset.display", h("legend", "Display"), this.petLoField, this.petHiField, preset, opacity, target)];
    if (this.canWrite) {
      this.radius = field({ name: "radius_mm", label: "Sphere / eraser radius", type: "number", value: 10, min: 1, max: 100, step: "any", unit: "mm" });
      this.thrMode = field({ name: "threshold_mode", label: "Threshold", value: "percent", options: [["percent", "% of the box maximum"], ["fixed", `fixed (${this.short})`]] });
      this.thrValue = field({ name: "threshold_value", label: "Threshold value", type: "number", value: 40, min: 0, step: "any" });
      this.undoButton = h("button#undo", { type: "button", disabled: true, on: { click: () => this.undo() } }, "Undo");
      this.saveButton = h("button.primary#save-vois", { type: "button", on: { click: () => this.save() } }, "Save VOIs as DICOM SEG");
      rows.push(h("fieldset.voi", h("legend", "VOI"), this.radius, this.thrMode, this.thrValue,
        h("div.actions", this.undoButton, this.saveButton)));
    }
    return h("form.viewer-toolbar.card", { "aria-label": "Viewer tools", on: { submit: (ev) => ev.preventDefault() } }, rows);
  }

  sizeCanvases() {
    const ratio = window.devicePixelRatio || 1;
    for (const c of [...Object.values(this.canvases), this.mipCanvas]) {
      const w = Math.max(50, Math.round(c.clientWidth * ratio));
      const hgt = Math.max(50, Math.round(c.clientHeight * ratio));
      if (c.width !== w || c.height !== hgt) { c.width = w; c.height = hgt; }
    }
  }

  // ------------------------------------------------------------ drawing

  renderViews(views, extra = {}) {
    const t = performance.now();
    for (const view of views) {
      this.fits[view] = paintView(this.canvases[view], this.study, view, this.pos, this.display, this.names,
        extra.view === view ? extra : {});
      const [k, total] = this.study.sliceOf(view, this.pos);
      const c = this.canvases[view];
      c.setAttribute("aria-valuenow", String(k + 1));
      c.setAttribute("aria-valuetext", `slice ${k + 1} of ${total}`);
      this.captions[view].textContent = `${cap(view)} · slice ${k + 1} / ${total}`;
    }
    this.stats.lastMs = performance.now() - t;
    this.stats.renders++;
  }

  renderAll() {
    this.renderViews(VIEWS);
    this.fits.mip = paintMip(this.mipCanvas, this.study, this.pos, this.display);
    const unit = `${this.quantity} (${this.unit})`;
    paintColourBar(this.colourBar, this.display, unit);
    const range = `${fmt(this.display.petLo)} to ${fmt(this.display.petHi)} ${this.unit}`;
    this.colourBar.setAttribute("aria-label", `Colour bar: PET ${this.quantity} from ${range}, hot colours high`);
    this.colourCaption.textContent = `PET ${this.quantity}: ${range}`;
    this.showPosition();
  }

  showPosition() {
    const { x, y, z } = this.pos;
    this.position.textContent = `Crosshair at voxel (x ${x}, y ${y}, z ${z}): ${this.valueText(this.pos)}`;
  }

  valueText(p) {
    const i = this.study.index(p.x, p.y, p.z);
    const pet = `${this.quantity} ${fmt(this.study.pet[i], this.unit, 3)}`;
    const ct = this.study.ct ? ` · CT ${this.study.ct[i]} HU` : "";
    const lab = this.study.labels[i];
    return `${pet}${ct}${lab ? ` · in ${this.names[lab - 1] || `VOI ${lab}`}` : ""}`;
  }

  setPos(p) {
    this.pos = { ...p };
    this.renderAll();
  }

  step(view, delta) {
    const [k] = this.study.sliceOf(view, this.pos);
    const next = this.study.withSlice(view, this.pos, k + delta);
    if (next.x === this.pos.x && next.y === this.pos.y && next.z === this.pos.z) return;
    this.pos = next;
    // the view itself shows a new slice; the other two a moved crosshair line
    this.renderViews(VIEWS);
    if (view === "axial") this.fits.mip = paintMip(this.mipCanvas, this.study, this.pos, this.display);
    this.showPosition();
  }

  // ------------------------------------------------------------ input

  toVoxel(view, ev) {
    const canvas = this.canvases[view];
    const rect = canvas.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) * canvas.width) / rect.width;
    const py = ((ev.clientY - rect.top) * canvas.height) / rect.height;
    const r = this.fits[view];
    const u = (px - r.x) / r.px; const v = (py - r.y) / r.py;
    const d = this.study.dims(view);
    if (u < 0 || v < 0 || u >= d.w || v >= d.h) return null;
    return this.study.voxel(view, this.pos, u, v);
  }

  // The client coordinates of a voxel's centre in a view (tests and the benchmark use it).
  voxelToClient(view, p) {
    const canvas = this.canvases[view];
    const rect = canvas.getBoundingClientRect();
    const r = this.fits[view];
    const q = this.study.pixel(view, p);
    return {
      x: rect.left + ((r.x + (q.u + 0.5) * r.px) * rect.width) / canvas.width,
      y: rect.top + ((r.y + (q.v + 0.5) * r.py) * rect.height) / canvas.height,
    };
  }

  wire(view, canvas) {
    canvas.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      this.step(view, ev.deltaY > 0 ? 1 : -1);
    }, { passive: false });
    canvas.addEventListener("keydown", (ev) => {
      const [k, total] = this.study.sliceOf(view, this.pos);
      const delta = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 10, PageDown: -10,
        Home: -k, End: total - 1 - k }[ev.key];
      if (delta === undefined) return;
      ev.preventDefault();
      this.step(view, delta);
    });
    let drag = null;
    canvas.addEventListener("pointerdown", (ev) => {
      const p = this.toVoxel(view, ev);
      if (!p) return;
      canvas.focus();
      canvas.setPointerCapture(ev.pointerId);
      if (this.tool === "navigate") { drag = { kind: "navigate" }; this.setPos(p); }
      else if (this.tool === "wl") {
        const d = this.display;
        drag = { kind: "wl", x: ev.clientX, y: ev.clientY, ww: d.ctWidth, wl: d.ctLevel, hi: d.petHi };
      } else if (this.tool === "sphere") this.placeSphere(p);
      else if (this.tool === "erase") this.erase(p);
      else if (this.tool === "threshold") drag = { kind: "box", a: p, b: p };
    });
    canvas.addEventListener("pointermove", (ev) => {
      const p = this.toVoxel(view, ev);
      this.readout.textContent = p ? `${this.valueText(p)} at (x ${p.x}, y ${p.y}, z ${p.z})` : "—";
      if (!drag) return;
      if (drag.kind === "navigate" && p) this.setPos(p);
      else if (drag.kind === "wl") this.windowDrag(drag, ev);
      else if (drag.kind === "box" && p) {
        drag.b = p;
        const a = this.study.pixel(view, drag.a); const b = this.study.pixel(view, p);
        this.renderViews([view], { view, box: { u0: Math.min(a.u, b.u), v0: Math.min(a.v, b.v), u1: Math.max(a.u, b.u), v1: Math.max(a.v, b.v) } });
      }
    });
    const end = (ev) => {
      if (drag && drag.kind === "box") {
        const p = this.toVoxel(view, ev) || drag.b;
        this.thresholdBox(view, drag.a, p);
      }
      drag = null;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", () => { drag = null; this.renderAll(); });
    canvas.addEventListener("pointerleave", () => { if (!drag) this.readout.textContent = "—"; });
  }

  windowDrag(drag, ev) {
    const dx = ev.clientX - drag.x; const dy = ev.clientY - drag.y;
    const d = this.display;
    if (this.wlTarget === "ct") {
      d.ctWidth = Math.max(1, drag.ww + dx * 4);
      d.ctLevel = drag.wl + dy * 2;
      this.presetSelect.value = "custom";
    } else {
      d.petHi = Math.max(d.petLo + 1e-3, drag.hi * Math.exp(-dy / 150));
      this.petHiField.querySelector("input").value = String(Number(d.petHi.toPrecision(3)));
    }
    this.renderAll();
  }

  mipClick(ev) {
    const r = this.fits.mip;
    const rect = this.mipCanvas.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) * this.mipCanvas.width) / rect.width;
    const py = ((ev.clientY - rect.top) * this.mipCanvas.height) / rect.height;
    const u = Math.floor((px - r.x) / r.px); const v = Math.floor((py - r.y) / r.py);
    const mip = this.study.mip();
    if (u < 0 || v < 0 || u >= mip.w || v >= mip.h) return;
    this.setPos({ x: u, y: mip.depth[v * mip.w + u], z: this.study.nz - 1 - v });
  }

  // ------------------------------------------------------------ VOI tools

  newLabel() {
    if (this.names.length >= 255) {
      toast("At most 255 VOIs: save, or erase some", "error");
      return null;
    }
    const label = this.names.length + 1;
    this.names.push(`lesion_${label}`);
    return label;
  }

  afterEdit(touched, message) {
    for (const l of touched) this.dirty.add(l);
    this.undoButton.disabled = !this.edits.canUndo;
    this.renderAll();
    this.refreshTable();
    if (message) this.saveStatus.textContent = message;
  }

  placeSphere(p) {
    const radius = Number(this.radius.querySelector("input").value);
    if (!(radius > 0)) { toast("Give a sphere radius in mm", "error"); return; }
    const label = this.newLabel();
    if (!label) return;
    const touched = this.edits.apply(sphereIndices(this.study, p, radius), label, "sphere");
    this.pos = { ...p };
    this.afterEdit(touched, `Sphere ${this.names[label - 1]} (radius ${radius} mm) placed; not saved yet.`);
  }

  erase(p) {
    const radius = Number(this.radius.querySelector("input").value);
    const touched = this.edits.apply(sphereIndices(this.study, p, radius), 0, "erase");
    this.afterEdit(touched, touched.size ? "Erased; not saved yet." : "Nothing to erase there.");
  }

  thresholdBox(view, a, b) {
    const mode = this.thrMode.querySelector("select").value;
    const value = Number(this.thrValue.querySelector("input").value);
    if (!(value >= 0) || (mode === "percent" && value > 100)) {
      toast("Give a threshold (0–100 % or a value)", "error");
      this.renderAll();
      return;
    }
    const box = boxFromRectangle(this.study, view, this.pos, a, b);
    const result = thresholdIndices(this.study, box, { mode, value });
    if (!result.indices.length) { toast("No voxel in the box reaches the threshold", "error"); this.renderAll(); return; }
    const label = this.newLabel();
    if (!label) return;
    const touched = this.edits.apply(result.indices, label, "threshold");
    const rule = mode === "percent" ? `${value} % of the box maximum ${fmt(result.max, this.unit)}` : `${value} ${this.unit}`;
    this.afterEdit(touched, `${this.names[label - 1]}: ${result.indices.length} voxels at or above ${fmt(result.threshold, this.unit)} (${rule}); not saved yet.`);
  }

  undo() {
    const undone = this.edits.undo();
    if (!undone) return;
    this.afterEdit(undone.touched, `Undid the ${undone.what}.`);
  }

  async save() {
    const counts = this.study.counts();
    const keep = [];
    for (let l = 1; l <= this.names.length; l++) if (counts[l] > 0) keep.push(l);
    if (!keep.length) { toast("Draw a VOI first (sphere or threshold)", "error"); return; }
    const names = keep.map((l) => this.names[l - 1]);
    const labels = compact(this.study.labels, keep);
    const petSeries = this.meta.series.find((s) => s.role === "pet");
    const query = new URLSearchParams({ series: petSeries.series_uid });
    for (const name of names) query.append("names", name);
    this.saveButton.disabled = true;
    this.saveStatus.textContent = "Saving the DICOM SEG and measuring…";
    try {
      const result = await request("POST", `studies/${this.id}/segmentations?${query}`, {
        body: labels, headers: { "Content-Type": "application/octet-stream" },
      });
      this.study.labels.set(labels);
      this.names = names;
      this.lesions = new Map(result.lesions.map((l) => [l.name, l]));
      this.edits.stack = [];
      this.dirty.clear();
      this.undoButton.disabled = true;
      this.renderAll();
      this.refreshTable();
      this.saveStatus.textContent = `Saved ${names.length} VOI(s) as a DICOM SEG (${result.seg_file}) and measured them.`;
      toast("VOIs saved and quantified", "ok");
    } catch (err) {
      this.saveStatus.textContent = "";
      this.tableSlot.prepend(errorBox(err));
    } finally {
      this.saveButton.disabled = false;
    }
  }

  // ------------------------------------------------------------ the lesion table

  refreshTable() {
    const counts = this.study.counts();
    const rows = [];
    for (let l = 1; l <= this.names.length; l++) {
      if (!counts[l]) continue;
      const name = this.names[l - 1];
      const saved = this.lesions.get(name);
      const fresh = saved && !this.dirty.has(l);
      rows.push({ label: l, name, saved: fresh ? saved : null, voxels: counts[l] });
    }
    const val = (key) => (r) => (r.saved ? fmt(r.saved[key], "", 4) : "—");
    const u = this.unit;
    const cols = [
      { key: "name", label: "VOI", render: (r) => {
        const c = labelColour(r.label);
        const swatch = h("span.swatch", { "aria-hidden": "true" });
        swatch.style.backgroundColor = `rgb(${c[0]},${c[1]},${c[2]})`;
        return h("span", swatch, ` ${r.name}`);
      } },
      { key: "max", label: `${this.short}max`, unit: u, numeric: true, render: val("max") },
      { key: "peak", label: `${this.short}peak`, unit: u, numeric: true, render: val("peak") },
      { key: "mean", label: `${this.short}mean`, unit: u, numeric: true, render: val("mean") },
      { key: "volume_ml", label: "Volume", unit: "mL", numeric: true,
        render: (r) => (r.saved ? fmt(r.saved.volume_ml, "", 4) : `${fmt(r.voxels * this.study.voxelMl, "", 3)} (unsaved)`) },
      { key: "status", label: "Status", render: (r) => h("span", { class: `badge ${r.saved ? "ok" : "warning"}` }, r.saved ? "saved" : "not saved") },
      { key: "go", label: "Views", render: (r) => h("button.link", { type: "button", on: { click: (ev) => { ev.stopPropagation(); this.jump(r); } } }, `Show ${r.name}`) },
    ];
    const t = table(`VOIs of this study (${this.quantity}, ${this.unit})`, cols, rows, {
      id: "lesion-table",
      rowAttrs: (r) => ({ dataset: { label: String(r.label) }, class: "clickable", on: { click: () => this.jump(r) } }),
    });
    clear(this.tableSlot).append(t);
  }

  jump(row) {
    let p = null;
    if (row.saved && row.saved.peak_index_zyx) {
      const [z, y, x] = row.saved.peak_index_zyx;
      p = { x, y, z };
    } else p = this.study.hottest(row.label);
    if (!p) return;
    this.setPos(p);
    this.saveStatus.textContent = `Views moved to ${row.name}.`;
  }
}

function conventions(meta) {
  const notes = meta.pet.assumptions || [];
  return h("details.conventions", h("summary", `How the PET values were computed (${meta.pet.quantity})`),
    h("ul", notes.map((n) => h("li", n))),
    meta.ct ? h("p.muted", "The CT is resampled onto the PET grid (linear) for the fusion; VOIs lie on the PET voxels.") : h("p.muted", "No CT in this study."));
}

function cap(s) {
  return s[0].toUpperCase() + s.slice(1);
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
