/** Headless Chromium (Debian's), driven by playwright-core, for the report checks. */
import { chromium, type Page } from "playwright-core";

export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

export async function launchBrowser() {
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** What a page printed as errors and every URL it requested, collected as it runs. */
export function watchPage(page: Page): { errors: string[]; requests: string[] } {
  const errors: string[] = [], requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (req) => requests.push(req.url()));
  return { errors, requests };
}
