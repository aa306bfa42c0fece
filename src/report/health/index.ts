import { canonicalJson } from "../../util/canonical.js";
import { healthHtml } from "./html.js";
import { healthMarkdown } from "./markdown.js";
import { readTemplate } from "./template.js";
import type { HealthReport } from "./types.js";

export { collectHealth } from "./collect.js";
export { healthHtml } from "./html.js";
export { healthMarkdown } from "./markdown.js";
export type { HealthOptions, HealthReport } from "./types.js";

export type ReportFormat = "md" | "html" | "json";

/** The report in one format; the HTML page comes from the templates in reports/templates. */
export function renderHealth(report: HealthReport, format: ReportFormat): string {
  if (format === "md") return healthMarkdown(report);
  if (format === "json") return `${canonicalJson(report, 2)}\n`;
  return healthHtml(report, { page: readTemplate("health.html"), css: readTemplate("health.css") });
}
