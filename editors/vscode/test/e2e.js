// Drives VS Code (code-server, started by e2e.sh) in headless Chromium and checks what the
// Bona extension shows. Environment: URL (code-server), WORK (work directory: workspace/,
// user-data/, screenshots), BONA (the bona binary), CHROMIUM, NODE_PATH (playwright-core).
"use strict";

const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const work = process.env.WORK;
const workspace = path.join(work, "workspace");
const TIMEOUT = 30000;

let page;
let step = "start";

function check(condition, what) {
  if (!condition) throw new Error(`expected ${what}`);
}

/** Polls `get` until `ok` holds for its value; returns the value or fails with the last one. */
async function until(what, get, ok, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await get();
      if (ok(last)) return last;
    } catch (e) {
      last = `(${e.message.split("\n")[0]})`;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    }
    await page.waitForTimeout(200);
  }
}

/** The text of all elements matching `selector`, spaces normalised. */
async function texts(selector) {
  const all = await page.locator(selector).allInnerTexts();
  return all.map((t) => t.replace(/\u00a0/g, " "));
}

async function openFile(name) {
  await page.locator(".explorer-folders-view").getByRole("treeitem", { name, exact: true }).click();
  await page.locator(`.tab.active[aria-label*="${name}"]`).waitFor({ timeout: TIMEOUT });
  await focusEditor();
}

async function visibleLenses() {
  return (await texts(".codelens-decoration a")).filter((t) => t !== "");
}

async function focusEditor() {
  await page.locator(".editor-instance .monaco-editor textarea").first().focus();
}

/** Moves the cursor to 1-based line:column with "Go to Line". */
async function goTo(line, column) {
  await focusEditor();
  await page.keyboard.press("Control+G");
  await page.locator(".quick-input-widget input").waitFor({ timeout: TIMEOUT });
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press("Enter");
  await until(
    `cursor at ${line}:${column}`,
    () => texts(".statusbar-item[id='status.editor.selection']"),
    (t) => t.some((s) => s.includes(`Ln ${line}, Col ${column}`)),
  );
}

/** Sets `bona.path` as a person would: in the Settings editor, on its Remote tab (code-server
 *  is a remote window, where machine-overridable settings live). */
async function setBonaPath(value) {
  await page.keyboard.press("Control+,");
  await page.locator(".settings-editor").waitFor({ timeout: TIMEOUT });
  await page.locator(".settings-editor .suggest-input-container textarea").focus();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("bona.path");
  await page.locator(".settings-editor .settings-tabs-widget").getByText("Remote").click();
  const input = page.locator('.settings-editor input[aria-label="bona.path"]');
  await input.waitFor({ timeout: TIMEOUT });
  await input.fill(value);
  await input.press("Enter");
}

async function run() {
  // 1. Diagnostics: the misspelt name, with its code and help, in the Problems panel.
  step = "diagnostics";
  await page.goto(`${process.env.URL}?folder=${encodeURIComponent(workspace)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60000 });
  await openFile("production.trust");
  await page.locator(".squiggly-error").first().waitFor({ timeout: TIMEOUT });
  await page.keyboard.press("Control+Shift+M");
  const problems = await until(
    "the Problems panel to list the error",
    async () => (await texts(".markers-panel")).join("\n"),
    (t) => t.includes("corprate"),
  );
  const expected =
    "unknown name `corprate` bona E0203 [Ln 7, Col 21] help: did you mean `corporate`?";
  check(
    problems.replace(/\s+/g, " ").includes(expected),
    `the Problems panel to show ${expected}, got ${problems}`,
  );
  const language = await texts(".statusbar-item[id='status.editor.mode']");
  check(language.join() === "Bona Trust", `language mode Bona Trust, got ${language}`);
  console.log("ok diagnostics: unknown name `corprate` bona(E0203) [Ln 7, Col 21]");

  // 2. Hover on `registry` in `trust registry in corprate`.
  step = "hover";
  await goTo(7, 10);
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I");
  const hover = await until(
    "the hover",
    async () => (await texts(".monaco-hover-content")).join("\n"),
    (t) => t.includes("image attribute"),
  );
  check(
    hover.includes("registry: string, image attribute") &&
      hover.includes("The registry host of the image reference."),
    `the hover of registry, got ${hover}`,
  );
  await page.keyboard.press("Escape");
  console.log("ok hover: registry: string, image attribute");

  // 3. Completion after `action `.
  step = "completion";
  await goTo(4, 10);
  await page.keyboard.press("Control+Space");
  const labels = await until(
    "completions",
    () =>
      page
        .locator(".suggest-widget .monaco-list-row")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("aria-label"))),
    (l) => l.length > 0,
  );
  check(
    JSON.stringify([...labels].sort()) === JSON.stringify(["issue, Keyword", "prevent, Keyword"]),
    `completions issue and prevent, got ${JSON.stringify(labels)}`,
  );
  await page.keyboard.press("Escape");
  console.log(`ok completion: ${labels.join("; ")}`);

  // 4. Test lenses, and their command `bona.test`: the server's (workspace/executeCommand),
  //    which answers with a message about that test.
  step = "lens with errors";
  await openFile("tests.trust");
  // Monaco renders the lenses of the visible lines only: the first tests'.
  const lensesBefore = await until("test lenses", visibleLenses, (l) => l.length >= 2);
  check(
    lensesBefore.every((l) => l === "tests not run: the policy set has 1 error"),
    `lenses saying the tests did not run, got ${JSON.stringify(lensesBefore)}`,
  );
  await page.locator(".codelens-decoration a").first().click();
  await until(
    "the lens command's message",
    () => texts(".notification-list-item-message"),
    (t) => t.includes("tests not run: the policy set has 1 error"),
  );
  console.log("ok lens: tests not run: the policy set has 1 error (lens and bona.test)");

  // 5. Fix the name in the editor, unsaved: the error goes and the lenses in the other file
  //    pass, computed from the editor's text.
  step = "fix";
  await openFile("production.trust");
  await goTo(7, 21);
  await page.keyboard.press("Shift+End");
  await page.keyboard.type("corporate and pinned");
  await page.keyboard.press("Escape");
  await page.locator(".squiggly-error").first().waitFor({ state: "detached", timeout: TIMEOUT });
  step = "lens passing";
  await openFile("tests.trust");
  const lensesAfter = await until(
    "passing lenses",
    visibleLenses,
    (l) => l.length >= 2 && l.every((t) => t === "✓ passed"),
  );
  await page.locator(".codelens-decoration a").first().click();
  const passed = 'test "production prevents Docker Hub" passed';
  await until(
    "the lens command's message",
    () => texts(".notification-list-item-message"),
    (t) => t.includes(passed),
  );
  const onDisk = fs.readFileSync(path.join(workspace, "production.trust"), "utf8");
  check(onDisk.includes("corprate"), "the fix to be unsaved");
  console.log(`ok lens: ${lensesAfter.join(", ")} (unsaved fix); bona.test: ${passed}`);

  // 6. Changing bona.path restarts the server: a wrong path is reported, the right one works.
  step = "bad bona.path";
  await setBonaPath("/nonexistent/bona");
  const notification = await until(
    "the error about bona.path",
    async () => (await texts(".notification-list-item-message")).join("\n"),
    (t) => t.includes("could not start `/nonexistent/bona lsp`"),
  );
  console.log(`ok bona.path: ${notification.split("\n")[0].slice(0, 100)}`);
  step = "restart";
  await openFile("production.trust");
  await goTo(7, 21);
  await page.keyboard.type("x");
  await page.keyboard.press("Escape");
  await page.waitForTimeout(1000);
  check((await page.locator(".squiggly-error").count()) === 0, "no diagnostics without a server");
  await setBonaPath(process.env.BONA);
  await openFile("production.trust");
  await page.locator(".squiggly-error").first().waitFor({ timeout: TIMEOUT });
  await page.keyboard.press("Control+Shift+M");
  const restarted = await until(
    "the new server's diagnostic",
    async () => (await texts(".markers-panel")).join("\n"),
    (t) => t.includes("xcorporate"),
  );
  check(restarted.includes("E0203"), `E0203 after the restart: ${restarted}`);
  console.log("ok restart: the server started again with the new bona.path");
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
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
  let status = 0;
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    const started = Date.now();
    await run();
    console.log(`ok all checks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (e) {
    status = 1;
    console.error(`FAILED at ${step}: ${e.stack || e}`);
    if (page) {
      const shown = await texts(".notification-list-item-message").catch(() => []);
      for (const n of shown) console.error(`notification: ${n}`);
      const shot = path.join(work, `failure-${step.replace(/\W+/g, "-")}.png`);
      await page.screenshot({ path: shot }).catch(() => {});
      console.error(`screenshot: ${shot}`);
    }
  } finally {
    await browser.close();
  }
  process.exit(status);
})();
