import { coverageRows } from "./markdown.js";
import type { Counts, HealthReport } from "./types.js";

const esc = (value: unknown): string => {
  const text = value === null || value === undefined ? "–" : typeof value === "string" ? value : typeof value === "number" ? String(value) : JSON.stringify(value);
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
};

function table(head: string[], rows: unknown[][], numeric: number[] = []): string {
  if (rows.length === 0) return `<p class="empty">none</p>`;
  const th = head.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((v, i) => `<td${numeric.includes(i) ? ' class="num"' : ""}>${esc(v)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A horizontal bar chart as inline SVG: no script, no fetch, prints as drawn. */
export function bars(counts: Counts, label: string): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (entries.length === 0) return `<p class="empty">none</p>`;
  const max = Math.max(...entries.map(([, v]) => v));
  const row = 20;
  const labelWidth = 170;
  const barWidth = 260;
  const height = entries.length * row + 4;
  const rects = entries
    .map(([k, v], i) => {
      const y = i * row + 2;
      const w = max === 0 ? 0 : Math.max(1, Math.round((v / max) * barWidth));
      return `<text x="${labelWidth - 6}" y="${y + 13}" text-anchor="end">${esc(k)}</text><rect class="track" x="${labelWidth}" y="${y + 2}" width="${barWidth}" height="14"/><rect class="bar" x="${labelWidth}" y="${y + 2}" width="${w}" height="14"/><text x="${labelWidth + barWidth + 6}" y="${y + 13}">${v}</text>`;
    })
    .join("");
  return `<svg class="bars" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 60}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 60} ${height}">${rects}</svg>`;
}

/** The report's body; the template (reports/templates) supplies the page around it and the inline CSS. */
export function healthHtmlBody(r: HealthReport): string {
  const s: string[] = [];
  s.push(`<h1>CMDB health report</h1>`, `<p class="lead">As of ${esc(r.at)}</p>`);
  s.push(
    `<div class="figures">${[
      ["CIs", r.inventory.total],
      ["relationships", r.inventory.relationships],
      ["active machines", r.coverage.machines],
      ["stale", r.freshness.staleTotal],
      ["conflicts", r.conflictsTotal],
      ["changes (recent)", r.changes.total],
    ]
      .map(([k, v]) => `<div class="figure"><b>${esc(v)}</b>${esc(k)}</div>`)
      .join("")}</div>`,
  );
  s.push(`<h2 id="inventory">Inventory</h2><div class="grid">`);
  for (const [title, counts] of [
    ["By type", r.inventory.byType],
    ["By provider", r.inventory.byProvider],
    ["By environment", r.inventory.byEnvironment],
    ["By status", r.inventory.byStatus],
    ["By source", r.inventory.bySource],
  ] as const) {
    s.push(`<div class="card"><h3>${esc(title)}</h3>${bars(counts, `CIs ${title.toLowerCase()}`)}</div>`);
  }
  s.push(`</div>`);
  s.push(`<h2 id="coverage">Coverage</h2><p class="note">Of ${r.coverage.machines} active machines (servers, VMs, containers, hypervisor nodes).</p>`);
  s.push(
    `<table><thead><tr><th></th><th>machines</th><th>target</th></tr></thead><tbody>${coverageRows(r)
      .map(([k, v, t]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td><td class="${t.startsWith("✅") ? "ok" : t ? "bad" : ""}">${esc(t.replace(/^[✅❌] /u, ""))}</td></tr>`)
      .join("")}</tbody></table>`,
  );
  s.push(`<h2 id="freshness">Freshness</h2>`, bars(r.freshness.ages, "active CIs by age since last seen"));
  s.push(`<h3>Stale CIs (${r.freshness.staleTotal})</h3>`, table(["CI", "type", "status", "last seen", "why"], r.freshness.stale.map((x) => [x.name, x.type, x.status, x.lastSeen, x.reason])));
  s.push(
    `<h3>Each source's last complete run</h3>`,
    table(
      ["source", "scope", "last run", "last complete", "age (h)", `within ${r.thresholds.freshWithinHours} h`],
      r.freshness.scopes.map((x) => [x.source, x.scope, x.lastOutcome, x.lastCompleteAt ?? "never", x.ageHours, x.fresh ? "yes" : "no"]),
      [4],
    ),
  );
  s.push(
    `<h2 id="conflicts">Conflicts (${r.conflictsTotal})</h2><p class="note">Attributes whose sources disagree.</p>`,
    table(["CI", "attribute", "values"], r.conflicts.map((c) => [c.name, c.attribute, c.values.map((v) => `${v.source}: ${JSON.stringify(v.value)}`).join("; ")])),
  );
  s.push(`<h2 id="findings">Findings</h2>`);
  if (r.findings.length === 0) s.push(`<p class="empty">No open drift finding and no credential due for rotation.</p>`);
  for (const f of r.findings) {
    const counts = (c: Record<string, number>) => esc(Object.entries(c).map(([k, v]) => `${v} ${k}`).join(", "));
    s.push(`<h3>${esc(f.kind)} (${f.total})</h3>`, `<p class="note">By severity: ${counts(f.bySeverity)}</p>`);
    if (Object.keys(f.byCategory).length > 0) s.push(`<p class="note">By kind: ${counts(f.byCategory)}</p>`);
    s.push(table(["CI", "id", "severity", "finding"], f.items.map((i) => [i.name, i.id, i.severity, i.title])));
  }
  s.push(`<h2 id="depended-upon">Most depended-upon CIs</h2>`, table(["CI", "type", "dependents"], r.dependedUpon.map((d) => [d.name, d.type, d.dependents]), [2]));
  s.push(
    `<h2 id="spof">Single points of failure</h2><p class="note">CIs whose failure reaches the most production CIs.</p>`,
    table(["CI", "type", "production CIs reached", "all CIs reached"], r.singlePointsOfFailure.map((d) => [d.name, d.type, d.productionDependents, d.dependents]), [2, 3]),
  );
  s.push(
    `<h2 id="changes">Recent changes (${r.changes.total} in the last ${r.thresholds.recentChangesHours} h)</h2>`,
    bars(r.changes.byField, "changes by kind"),
    table(["at", "CI", "source", "field", "old", "new"], r.changes.recent.map((c) => [c.at, c.name ?? c.ci, c.source, c.field, c.old, c.new])),
  );
  s.push(
    `<h2 id="runs">Discovery runs</h2>`,
    table(["source", "scope", "last run", "outcome", "last complete"], r.runs.scopes.map((x) => [x.source, x.scope, x.lastRunAt, x.lastOutcome, x.lastCompleteAt ?? "never"])),
    `<h3>Failed or partial runs (${r.runs.failures.length})</h3>`,
    table(["started", "source", "scope", "outcome", "errors"], r.runs.failures.map((f) => [f.startedAt, f.source, f.scope, f.outcome, f.errors.join("; ")])),
  );
  return s.join("\n");
}

/** A self-contained page: inline CSS and SVG, no script, no fetch (its Content-Security-Policy forbids one). */
export function healthHtml(r: HealthReport, template: { page: string; css: string }): string {
  return template.page
    .replace("{{title}}", () => esc(`CMDB health report ${r.at}`))
    .replace("{{css}}", () => template.css.trimEnd())
    .replace("{{body}}", () => healthHtmlBody(r));
}
