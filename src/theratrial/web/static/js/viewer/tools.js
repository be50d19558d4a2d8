// VOI tools on the label map: a sphere (radius in mm) placed on a lesion, a threshold region
// inside a box (a fixed value, or a percentage of the box's maximum, as OHIF's rectangle
// threshold tool), an eraser sphere, and undo. Each operation records the voxels it changed
// and their previous labels, so undo restores exactly what was there.
import { clamp } from "./volume.js";

export class Edits {
  constructor(study) {
    this.study = study;
    this.stack = [];
  }

  get canUndo() {
    return this.stack.length > 0;
  }

  // Set `label` on every voxel index in `indices`; returns the labels touched (old and new).
  apply(indices, label, what) {
    const { labels } = this.study;
    const changed = []; const old = [];
    const touched = new Set();
    for (const i of indices) {
      if (labels[i] !== label) { changed.push(i); old.push(labels[i]); touched.add(labels[i]); labels[i] = label; }
    }
    if (changed.length) {
      touched.add(label);
      this.stack.push({ what, idx: Int32Array.from(changed), old: Uint8Array.from(old) });
    }
    touched.delete(0);
    return touched;
  }

  // Restore the last operation's voxels; returns {what, touched} or null.
  undo() {
    const last = this.stack.pop();
    if (!last) return null;
    const { labels } = this.study;
    const touched = new Set();
    for (let k = 0; k < last.idx.length; k++) {
      const i = last.idx[k];
      touched.add(labels[i]); touched.add(last.old[k]);
      labels[i] = last.old[k];
    }
    touched.delete(0);
    return { what: last.what, touched };
  }
}

// Indices of the voxels whose centres lie within radiusMm of the centre voxel.
export function sphereIndices(study, centre, radiusMm) {
  const { sx, sy, sz } = study;
  const rx = Math.floor(radiusMm / sx); const ry = Math.floor(radiusMm / sy); const rz = Math.floor(radiusMm / sz);
  const out = [];
  const r2 = radiusMm * radiusMm;
  for (let z = Math.max(0, centre.z - rz); z <= Math.min(study.nz - 1, centre.z + rz); z++) {
    const dz = (z - centre.z) * sz;
    for (let y = Math.max(0, centre.y - ry); y <= Math.min(study.ny - 1, centre.y + ry); y++) {
      const dy = (y - centre.y) * sy;
      for (let x = Math.max(0, centre.x - rx); x <= Math.min(study.nx - 1, centre.x + rx); x++) {
        const dx = (x - centre.x) * sx;
        if (dx * dx + dy * dy + dz * dz <= r2) out.push(study.index(x, y, z));
      }
    }
  }
  return out;
}

// The 3-D box of a rectangle drawn on a view: the rectangle in plane, and across slices as
// deep (in mm) as the rectangle's larger side, centred on the view's slice.
export function boxFromRectangle(study, view, pos, a, b) {
  const lo = { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), z: Math.min(a.z, b.z) };
  const hi = { x: Math.max(a.x, b.x), y: Math.max(a.y, b.y), z: Math.max(a.z, b.z) };
  const span = { x: (hi.x - lo.x + 1) * study.sx, y: (hi.y - lo.y + 1) * study.sy, z: (hi.z - lo.z + 1) * study.sz };
  const through = view === "axial" ? "z" : view === "coronal" ? "y" : "x";
  const inPlane = ["x", "y", "z"].filter((k) => k !== through);
  const depthMm = Math.max(span[inPlane[0]], span[inPlane[1]]);
  const step = { x: study.sx, y: study.sy, z: study.sz }[through];
  const half = Math.max(0, Math.round(depthMm / step / 2));
  const limit = { x: study.nx, y: study.ny, z: study.nz }[through] - 1;
  lo[through] = clamp(pos[through] - half, 0, limit);
  hi[through] = clamp(pos[through] + half, 0, limit);
  return { lo, hi };
}

// Voxels of the box at or above the threshold: `fixed` (image units) or `percent` of the
// box's maximum. Returns the indices, the maximum and the threshold used.
export function thresholdIndices(study, box, { mode, value }) {
  const { pet } = study;
  let max = -Infinity;
  for (let z = box.lo.z; z <= box.hi.z; z++) {
    for (let y = box.lo.y; y <= box.hi.y; y++) {
      let i = study.index(box.lo.x, y, z);
      for (let x = box.lo.x; x <= box.hi.x; x++, i++) if (pet[i] > max) max = pet[i];
    }
  }
  const threshold = mode === "percent" ? (max * value) / 100 : value;
  const out = [];
  for (let z = box.lo.z; z <= box.hi.z; z++) {
    for (let y = box.lo.y; y <= box.hi.y; y++) {
      let i = study.index(box.lo.x, y, z);
      for (let x = box.lo.x; x <= box.hi.x; x++, i++) if (pet[i] >= threshold) out.push(i);
    }
  }
  return { indices: out, max, threshold };
}

// The label map with labels renumbered 1..k in order of `keep` (old labels), others 0.
export function compact(labels, keep) {
  const map = new Uint8Array(256);
  keep.forEach((old, k) => { map[old] = k + 1; });
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = map[labels[i]];
  return out;
}
