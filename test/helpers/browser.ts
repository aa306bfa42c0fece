import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { REPO_ROOT } from "./corpus.js";
import { commandWorks, requireService } from "./services.js";

/** Debian's chromium, driven by playwright-core: what a person would open the reports in. */
export const CHROMIUM = process.env.CMDB_TEST_CHROMIUM ?? "/usr/bin/chromium";
export const chromium = requireService("headless Chromium", () => existsSync(CHROMIUM) && commandWorks(CHROMIUM, ["--headless", "--no-sandbox", "--version"]));

/** Where tests leave what a person may want to look at (screenshots). */
export const TEST_OUTPUT = join(REPO_ROOT, "test-output");

export async function launch(): Promise<Browser> {
  const { chromium: pw } = await import("playwright-core");
  return pw.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
}

export interface Watched {
  page: Page;
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Every request the page made beyond its own document. */
  requests: string[];
}

/** A page that records console errors, page errors and every request it makes. */
export async function watchedPage(browser: Browser): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => requests.push(r.url()));
  return { page, errors, requests };
}
