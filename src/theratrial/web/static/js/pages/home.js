// The trials: one card per trial with links to its dashboard and escalation board.
import { get } from "../api.js";
import { h, page } from "../ui.js";

export async function render(main) {
  const data = await get("trials");
  const items = data.items || data;
  main.append(...page("Trials",
    h("div.grid", items.map((t) => h("section.card", { "aria-labelledby": `t-${t.trial_id}` },
      h("h2", { id: `t-${t.trial_id}` }, h("a", { href: `#/trials/${encodeURIComponent(t.trial_id)}` }, t.trial_id)),
      h("p", t.title || ""),
      h("p.muted", [t.phase ? `Phase ${t.phase}` : null, t.nuclide || t.therapy_nuclide || null].filter(Boolean).join(" · ")),
      h("div.actions",
        h("a", { href: `#/trials/${encodeURIComponent(t.trial_id)}` }, "Dashboard"),
        h("a", { href: `#/trials/${encodeURIComponent(t.trial_id)}/escalation` }, "Escalation board")))))));
}
