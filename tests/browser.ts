/** Headless Chromium (Debian's), driven by playwright-core, for the report checks. */
import { chromium, type Page } from "playwright-core";

export const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

function missingBrowser(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `no browser at ${CHROMIUM}: apt-get install chromium (Debian's), or set CHROMIUM_PATH`;
  }
}

/**
 * Whether the browser tests are left out: when the browser is missing
 * outside CI, with one line saying what to install. In CI (CI=true) they run,
 * and a missing browser fails them.
 */
export const skipBrowserTests: boolean = (() => {
  const missing = missingBrowser();
  if (!missing || Deno.env.get("CI") === "true") return false;
  console.log(`browser tests ignored: ${missing}`);
  return true;
})();

/** Launches headless Chromium; a missing browser is an error saying what to install. */
export async function launchBrowser() {
  const missing = missingBrowser();
  if (missing) throw new Error(missing);
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
