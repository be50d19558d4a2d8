// The study the viewer holds in memory: the PET (or SPECT) as a Float32Array in SUV or Bq/mL,
// the CT as an Int16Array of HU on the same grid, and the VOI label map (Uint8Array), all
// indexed (z, y, x) with x fastest, as GET /api/v1/studies/{id}/volume sends them.
// Slices are read straight from these arrays: nothing is precomputed per slice.

export const VIEWS = ["axial", "coronal", "sagittal"];

export class Study {
  constructor(meta, pet, ct) {
    const [nz, ny, nx] = meta.grid.shape_zyx;
    const [sx, sy, sz] = meta.grid.spacing_xyz_mm;
    Object.assign(this, { meta, nx, ny, nz, sx, sy, sz, pet, ct });
    this.nxy = nx * ny;
    this.n = nx * ny * nz;
    this.labels = new Uint8Array(this.n);
    this.voxelMl = (sx * sy * sz) / 1000;
  }

  index(x, y, z) {
    return (z * this.ny + y) * this.nx + x;
  }

  inside(x, y, z) {
    return x >= 0 && y >= 0 && z >= 0 && x < this.nx && y < this.ny && z < this.nz;
  }

  // Width, height (pixels) and pixel size (mm) of a view's slices. Radiological display:
  // patient right on the left; axial rows run anterior to posterior; coronal and sagittal
  // rows run superior (top) to inferior.
  dims(view) {
    if (view === "axial") return { w: this.nx, h: this.ny, su: this.sx, sv: this.sy };
    if (view === "coronal") return { w: this.nx, h: this.nz, su: this.sx, sv: this.sz };
    return { w: this.ny, h: this.nz, su: this.sy, sv: this.sz };
  }

  // Index of pixel (0, 0) and the index steps along u (columns) and v (rows) of a slice.
  strides(view, pos) {
    const { nx, nxy, nz } = this;
    if (view === "axial") return { base: pos.z * nxy, du: 1, dv: nx };
    if (view === "coronal") return { base: (nz - 1) * nxy + pos.y * nx, du: 1, dv: -nxy };
    return { base: (nz - 1) * nxy + pos.x, du: nx, dv: -nxy };
  }

  // The slice number a view shows and how many there are.
  sliceOf(view, pos) {
    if (view === "axial") return [pos.z, this.nz];
    if (view === "coronal") return [pos.y, this.ny];
    return [pos.x, this.nx];
  }

  withSlice(view, pos, k) {
    const out = { ...pos };
    if (view === "axial") out.z = clamp(k, 0, this.nz - 1);
    else if (view === "coronal") out.y = clamp(k, 0, this.ny - 1);
    else out.x = clamp(k, 0, this.nx - 1);
    return out;
  }

  // The voxel under pixel (u, v) of a view at the crosshair position pos.
  voxel(view, pos, u, v) {
    u = clamp(Math.floor(u), 0, this.dims(view).w - 1);
    v = clamp(Math.floor(v), 0, this.dims(view).h - 1);
    if (view === "axial") return { x: u, y: v, z: pos.z };
    if (view === "coronal") return { x: u, y: pos.y, z: this.nz - 1 - v };
    return { x: pos.x, y: u, z: this.nz - 1 - v };
  }

  // Pixel (u, v) of a voxel in a view (inverse of voxel()).
  pixel(view, p) {
    if (view === "axial") return { u: p.x, v: p.y };
    if (view === "coronal") return { u: p.x, v: this.nz - 1 - p.z };
    return { u: p.y, v: this.nz - 1 - p.z };
  }

  // Coronal maximum-intensity projection of the PET (along y), with the y of each maximum.
  mip() {
    if (this._mip) return this._mip;
    const { nx, ny, nz, nxy, pet } = this;
    const value = new Float32Array(nx * nz);
    const depth = new Uint16Array(nx * nz);
    for (let z = 0; z < nz; z++) {
      const row = (nz - 1 - z) * nx;
      for (let x = 0; x < nx; x++) {
        let best = -Infinity; let at = 0;
        for (let y = 0, i = z * nxy + x; y < ny; y++, i += nx) {
          const p = pet[i];
          if (p > best) { best = p; at = y; }
        }
        value[row + x] = best;
        depth[row + x] = at;
      }
    }
    this._mip = { value, depth, w: nx, h: nz };
    return this._mip;
  }

  // The hottest voxel carrying a label (for jumping to a VOI); null when the label is empty.
  hottest(label) {
    const { labels, pet, n } = this;
    let best = -Infinity; let at = -1;
    for (let i = 0; i < n; i++) {
      if (labels[i] === label && pet[i] > best) { best = pet[i]; at = i; }
    }
    if (at < 0) return null;
    const z = Math.floor(at / this.nxy);
    const r = at - z * this.nxy;
    return { x: r % this.nx, y: Math.floor(r / this.nx), z };
  }

  counts() {
    const c = new Uint32Array(256);
    for (let i = 0; i < this.n; i++) c[this.labels[i]]++;
    return c;
  }
}

export function clamp(v, lo, hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

// A robust upper display bound: the given percentile of the positive values (sampled).
export function percentile(values, q) {
  const step = Math.max(1, Math.floor(values.length / 200000));
  const sample = [];
  for (let i = 0; i < values.length; i += step) if (values[i] > 0) sample.push(values[i]);
  if (!sample.length) return 1;
  sample.sort((a, b) => a - b);
  return sample[Math.min(sample.length - 1, Math.floor((q / 100) * sample.length))];
}
