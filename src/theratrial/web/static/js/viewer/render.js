// Colour maps and drawing: CT in grey, PET in a "hot" map blended over it (low values
// transparent), VOI outlines and names, the crosshair, the MIP and the colour bar.
// A slice is written pixel by pixel into an ImageData straight from the typed arrays.
import { clamp } from "./volume.js";

// 0xAABBGGRR words (ImageData is RGBA bytes; every browser we support is little-endian).
const rgba = (r, g, b) => ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;

export const HOT = (() => {
  const lut = new Array(256);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    lut[i] = [clamp(3 * t, 0, 1), clamp(3 * t - 1, 0, 1), clamp(3 * t - 2, 0, 1)].map((c) => Math.round(255 * c));
  }
  return lut;
})();

export const LABEL_COLOURS = [
  [0, 200, 255], [80, 255, 80], [255, 80, 255], [255, 255, 0], [255, 140, 0],
  [120, 160, 255], [0, 255, 190], [255, 110, 110],
];
export const labelColour = (label) => LABEL_COLOURS[(label - 1) % LABEL_COLOURS.length];

// Draws one slice into `image` (an ImageData of the slice's size). Returns, per label seen
// on the slice, the sum of its pixel positions (for placing its name).
export function drawSlice(study, view, pos, display, image) {
  const { w, h } = study.dims(view);
  const { base, du, dv } = study.strides(view, pos);
  const out = new Uint32Array(image.data.buffer);
  const { pet, ct, labels } = study;
  const petLo = display.petLo; const petScale = 255 / Math.max(1e-9, display.petHi - display.petLo);
  const ctLo = display.ctLevel - display.ctWidth / 2; const ctScale = 255 / Math.max(1, display.ctWidth);
  const alpha = display.opacity; // 0..1
  const hot = HOT;
  const seen = new Map();
  for (let v = 0; v < h; v++) {
    let i = base + v * dv;
    let o = v * w;
    for (let u = 0; u < w; u++, i += du, o++) {
      let g = 0;
      if (ct) {
        g = (ct[i] - ctLo) * ctScale;
        g = g < 0 ? 0 : g > 255 ? 255 : g | 0;
      }
      let t = (pet[i] - petLo) * petScale;
      t = t < 0 ? 0 : t > 255 ? 255 : t | 0;
      let r = g; let gg = g; let b = g;
      if (t > 0) {
        const c = hot[t];
        // ramp the opacity in over the lowest 12 % so that background stays see-through
        const a = ct ? alpha * (t < 32 ? t / 32 : 1) : 1;
        r = r + (c[0] - r) * a; gg = gg + (c[1] - gg) * a; b = b + (c[2] - b) * a;
      }
      const lab = labels[i];
      if (lab !== 0) {
        const edge = u === 0 || u === w - 1 || v === 0 || v === h - 1
          || labels[i - du] !== lab || labels[i + du] !== lab
          || labels[i - dv] !== lab || labels[i + dv] !== lab;
        let s = seen.get(lab);
        if (!s) { s = { u: 0, v: 0, n: 0 }; seen.set(lab, s); }
        s.u += u; s.v += v; s.n++;
        if (edge) { const c = labelColour(lab); r = c[0]; gg = c[1]; b = c[2]; }
      }
      out[o] = rgba(r | 0, gg | 0, b | 0);
    }
  }
  return seen;
}

// The coronal MIP as inverted grey (hot = dark), the way PET MIPs are read.
export function drawMip(mip, display, image) {
  const out = new Uint32Array(image.data.buffer);
  const lo = display.petLo; const scale = 255 / Math.max(1e-9, display.petHi - display.petLo);
  for (let i = 0; i < mip.value.length; i++) {
    let t = (mip.value[i] - lo) * scale;
    t = t < 0 ? 0 : t > 255 ? 255 : t | 0;
    const g = 255 - t;
    out[i] = rgba(g, g, g);
  }
}

// Fit a slice of w x h pixels of su x sv mm into a canvas, keeping the physical aspect.
export function fit(canvas, dims) {
  const W = canvas.width; const H = canvas.height;
  const wmm = dims.w * dims.su; const hmm = dims.h * dims.sv;
  const scale = Math.min(W / wmm, H / hmm);
  const dw = wmm * scale; const dh = hmm * scale;
  return { x: (W - dw) / 2, y: (H - dh) / 2, w: dw, h: dh, px: dw / dims.w, py: dh / dims.h };
}

const scratch = new Map();
function offscreen(w, h) {
  const key = `${w}x${h}`;
  let c = scratch.get(key);
  if (!c) {
    const canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext("2d");
    c = { canvas, ctx, image: ctx.createImageData(w, h) };
    scratch.set(key, c);
  }
  return c;
}

// Draw a view: the fused slice, the VOI names, the crosshair and the orientation letters.
export function paintView(canvas, study, view, pos, display, names, extra = {}) {
  const dims = study.dims(view);
  const off = offscreen(dims.w, dims.h);
  const seen = drawSlice(study, view, pos, display, off.image);
  off.ctx.putImageData(off.image, 0, 0);
  const ctx = canvas.getContext("2d");
  const r = fit(canvas, dims);
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = dims.w >= r.w / 2;
  ctx.drawImage(off.canvas, r.x, r.y, r.w, r.h);
  const font = Math.max(11, Math.round(canvas.height / 28));
  ctx.font = `${font}px system-ui, sans-serif`;
  ctx.textBaseline = "middle";
  for (const [lab, s] of seen) {
    const c = labelColour(lab);
    const text = names[lab - 1] || `VOI ${lab}`;
    const x = r.x + (s.u / s.n + 0.5) * r.px + 8; const y = r.y + (s.v / s.n + 0.5) * r.py - 10;
    ctx.lineWidth = 3; ctx.strokeStyle = "#000"; ctx.strokeText(text, x, y);
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`; ctx.fillText(text, x, y);
  }
  const p = study.pixel(view, pos);
  ctx.strokeStyle = "rgba(255, 214, 0, 0.75)";
  ctx.lineWidth = 1;
  ctx.setLineDash([6, 4]);
  ctx.beginPath();
  const cx = r.x + (p.u + 0.5) * r.px; const cy = r.y + (p.v + 0.5) * r.py;
  ctx.moveTo(cx, r.y); ctx.lineTo(cx, r.y + r.h);
  ctx.moveTo(r.x, cy); ctx.lineTo(r.x + r.w, cy);
  ctx.stroke();
  ctx.setLineDash([]);
  if (extra.box) {
    const b = extra.box;
    ctx.strokeStyle = "#00e5ff"; ctx.lineWidth = 2;
    ctx.strokeRect(r.x + b.u0 * r.px, r.y + b.v0 * r.py, (b.u1 - b.u0 + 1) * r.px, (b.v1 - b.v0 + 1) * r.py);
  }
  const letters = { axial: ["R", "L", "A", "P"], coronal: ["R", "L", "S", "I"], sagittal: ["A", "P", "S", "I"] }[view];
  ctx.fillStyle = "#fff";
  ctx.textAlign = "left"; ctx.fillText(letters[0], 6, canvas.height / 2);
  ctx.textAlign = "right"; ctx.fillText(letters[1], canvas.width - 6, canvas.height / 2);
  ctx.textAlign = "center"; ctx.fillText(letters[2], canvas.width / 2, font);
  ctx.fillText(letters[3], canvas.width / 2, canvas.height - font);
  ctx.textAlign = "left";
  return r;
}

export function paintMip(canvas, study, pos, display) {
  const mip = study.mip();
  const dims = { w: mip.w, h: mip.h, su: study.sx, sv: study.sz };
  const off = offscreen(dims.w, dims.h);
  drawMip(mip, display, off.image);
  off.ctx.putImageData(off.image, 0, 0);
  const ctx = canvas.getContext("2d");
  const r = fit(canvas, dims);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = dims.w >= r.w / 2;
  ctx.drawImage(off.canvas, r.x, r.y, r.w, r.h);
  const cy = r.y + (study.nz - 1 - pos.z + 0.5) * r.py;
  ctx.strokeStyle = "#c00"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.moveTo(r.x, cy); ctx.lineTo(r.x + r.w, cy); ctx.stroke();
  return r;
}

// A vertical colour bar from lo (bottom) to hi (top), labelled in the PET's units.
export function paintColourBar(canvas, display, unit) {
  const ctx = canvas.getContext("2d");
  const W = canvas.width; const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const top = 10; const bottom = H - 10; const barW = 22;
  for (let y = top; y <= bottom; y++) {
    const t = Math.round((255 * (bottom - y)) / (bottom - top));
    const c = HOT[t];
    ctx.fillStyle = `rgb(${c[0]},${c[1]},${c[2]})`;
    ctx.fillRect(4, y, barW, 1);
  }
  ctx.strokeStyle = "#1b2430"; ctx.strokeRect(4.5, top - 0.5, barW, bottom - top + 1);
  ctx.fillStyle = "#1b2430"; ctx.font = "12px system-ui, sans-serif"; ctx.textBaseline = "middle";
  const ticks = 5;
  for (let k = 0; k <= ticks; k++) {
    const value = display.petLo + ((display.petHi - display.petLo) * k) / ticks;
    const y = bottom - ((bottom - top) * k) / ticks;
    ctx.fillRect(barW + 4, y, 4, 1);
    ctx.fillText(formatTick(value), barW + 11, y);
  }
  ctx.save();
  ctx.translate(W - 6, H / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
  ctx.fillText(unit, 0, 0);
  ctx.restore();
}

function formatTick(v) {
  const a = Math.abs(v);
  if (a >= 1000) return v.toExponential(1);
  if (a >= 10) return v.toFixed(0);
  return v.toFixed(1);
}
