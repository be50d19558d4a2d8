// Jobs: long work on the Dask workers, with live progress (polled while any job runs).
import { ApiError, del, get, post } from "../api.js";
import { clear, clearErrors, field, fmt, fmtTime, h, markErrors, page, table, toast } from "../ui.js";

const POLL_MS = 1000;

function progress(job) {
  const pct = Math.round(100 * (job.progress || 0));
  return h("div.job-progress",
    h("progress", { max: "100", value: String(pct), "aria-label": `${job.kind} ${pct} % done` }),
    h("span", ` ${pct} %`));
}

export async function render(main, ctx) {
  const box = h("div#jobs-list", { "aria-live": "polite" });
  let timer = null;

  async function refresh() {
    if (!document.body.contains(box)) { clearTimeout(timer); return; }
    let data;
    try { data = await get("jobs"); } catch (err) { clear(box).append(h("div.alert", { role: "alert" }, err.message)); return; }
    clear(box).append(table("Your jobs, newest first", [
      { key: "kind", label: "Kind" },
      { key: "state", label: "State", render: (j) => h("span", { class: `badge ${j.state}` }, j.state) },
      { key: "progress", label: "Progress", render: progress },
      { key: "step", label: "Step", render: (j) => j.step || "—" },
      { key: "created_at", label: "Queued", render: (j) => fmtTime(j.created_at) },
      { key: "finished_at", label: "Finished", render: (j) => fmtTime(j.finished_at) },
      { key: "error", label: "Error / result", render: (j) => j.error || (j.result ? h("code.wrap", `${JSON.stringify(j.result).slice(0, 200)}…`) : "—") },
      { key: "id", label: "Actions", render: (j) => (["queued", "running"].includes(j.state)
        ? h("button", { type: "button", "aria-label": `Cancel job ${j.id.slice(0, 8)}`, on: { click: () => cancel(j.id) } }, "Cancel") : "") },
    ], data.items, { id: "jobs-table" }));
    if (data.items.some((j) => ["queued", "running"].includes(j.state))) timer = setTimeout(refresh, POLL_MS);
  }

  async function cancel(id) {
    try { await del(`jobs/${id}`); toast("job cancelled"); } catch (err) { toast(err.message, "error"); }
    refresh();
  }

  const kinds = (await get("jobs")).kinds;
  const form = h("form.card#new-job", { "aria-labelledby": "new-job-title", novalidate: true },
    h("h2#new-job-title", "Start a job"),
    h("div.form-row",
      field({ name: "kind", label: "Kind", options: kinds, required: true }),
      field({ name: "params", label: "Parameters (JSON)", type: "textarea", value: '{"design": "boin", "truth": [0.05, 0.15, 0.3], "target": 0.3, "n_trials": 2000, "seed": 1}',
        help: "as the API's POST /jobs takes them; see the API documentation for each kind" })),
    h("button.primary", { type: "submit" }, "Start"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const kind = form.elements.kind.value;
    let params;
    try { params = JSON.parse(form.elements.params.value || "{}"); } catch (e) {
      markErrors(form, new ApiError(422, { detail: "the parameters are not JSON", errors: [{ field: "params", message: e.message }] }));
      return;
    }
    try {
      const job = await post("jobs", { kind, params });
      clearErrors(form);
      toast(`job ${job.id.slice(0, 8)} queued`);
      clearTimeout(timer);
      refresh();
    } catch (err) {
      if (err instanceof ApiError) markErrors(form, err); else throw err;
    }
  });
  main.append(...page("Jobs", h("p.muted", `Long work runs on the Dask workers; this list refreshes every ${fmt(POLL_MS / 1000)} s while a job runs.`),
    ctx.can("run_jobs") ? form : null, box));
  await refresh();
}
