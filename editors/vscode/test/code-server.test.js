// The extension in a real VS Code: code-server (VS Code's workbench served
// to a browser) with the packaged .vsix installed, driven through Chromium by
// playwright-core as a user drives it, against the real `compel lsp`.
//
//   node test/code-server.test.js
//
// Environment (editors/test.sh sets them):
//   CODE_SERVER      the code-server launcher (needs Node 24 first on PATH)
//   PLAYWRIGHT_CORE  the playwright-core package folder
//   CHROMIUM         the browser (Debian's /usr/bin/chromium)
//   COMPEL_BIN       the compel binary
//   COMPEL_VSIX      the packaged extension
//   COMPEL_EXAMPLES  the acceptance examples (holding acme/)
//   COMPEL_WORK      a scratch folder
//   COMPEL_SCREENSHOTS  optional: a folder to write the README's screenshots to
//
// Steps: with compel.server.path naming a missing binary the extension
// activates and says so; with the real binary, a KPI misspelt by typing
// shows E0301 in the Problems view and the fix clears it; the hover of a KPI
// shows its doc comment; completion after `sponsor ` offers the persons and
// Enter accepts one; the **Run test** code lens above a test block runs it
// (workspace/executeCommand) and shows the result; "compel: Evaluate folder"
// from the command palette
// opens the report in a Markdown preview. Prints PASS/FAIL lines.

'use strict';

const assert = require('node:assert');
const cp = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const { chromium } = require(env('PLAYWRIGHT_CORE'));
const WORK = env('COMPEL_WORK');
const SHOTS = process.env.COMPEL_SCREENSHOTS || '';
const results = { passed: 0, failed: 0 };

function report(name, ok, detail) {
  results[ok ? 'passed' : 'failed'] += 1;
  const text = detail === undefined ? '' : `: ${String(detail).replace(/\s+/g, ' ').slice(0, 300)}`;
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${text}`);
  return ok;
}

let currentPage = null; // photographed when a check fails

async function check(name, fn) {
  try {
    const detail = await fn();
    return report(name, true, detail);
  } catch (e) {
    if (currentPage) {
      const file = path.join(WORK, `failed-${results.failed + 1}.png`);
      await currentPage.screenshot({ path: file }).catch(() => {});
      console.log(`      (screenshot: ${file})`);
    }
    return report(name, false, e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ') : e);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function writeJson(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

/// Copies the acme example (writable) and gives it workspace settings for
/// Evaluate folder.
function workspace() {
  const dir = path.join(WORK, 'acme');
  fs.cpSync(path.join(env('COMPEL_EXAMPLES'), 'acme'), dir, { recursive: true });
  for (const f of fs.readdirSync(dir, { recursive: true })) {
    fs.chmodSync(path.join(dir, f), fs.statSync(path.join(dir, f)).isDirectory() ? 0o755 : 0o644);
  }
  writeJson(path.join(dir, '.vscode', 'settings.json'), {
    'compel.eval.metrics': ['metrics/latency-spike.json'],
    'compel.eval.now': '2026-11-24T00:00:00Z',
  });
  return dir;
}

/// A code-server with its own user data and extensions, the .vsix installed.
async function startCodeServer(serverPath) {
  const data = path.join(WORK, 'code-server');
  const user = path.join(data, 'user');
  const exts = path.join(data, 'extensions');
  // Settings a first start would otherwise ask about or fetch for.
  writeJson(path.join(user, 'User', 'settings.json'), {
    'security.workspace.trust.enabled': false,
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'workbench.tips.enabled': false,
    'chat.disableAIFeatures': true,
    'update.mode': 'none',
    'editor.minimap.enabled': false,
    'window.commandCenter': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
  });
  // compel.server.path is machine-scoped: on a remote (code-server) it is
  // read from the remote's settings, not the browser's.
  writeJson(path.join(user, 'Machine', 'settings.json'), { 'compel.server.path': serverPath });
  const common = ['--user-data-dir', user, '--extensions-dir', exts, '--config', path.join(data, 'config.yaml')];
  const install = cp.spawnSync(env('CODE_SERVER'), [...common, '--install-extension', env('COMPEL_VSIX'), '--force'], {
    encoding: 'utf8',
  });
  assert.strictEqual(install.status, 0, `--install-extension failed: ${install.stdout}${install.stderr}`);
  const port = await freePort();
  const child = cp.spawn(env('CODE_SERVER'), [
    ...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override',
  ], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 60000;
  while (!/HTTP server listening/.test(log)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`code-server did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // code-server's own children (extension host, language server) go with it.
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  return { url: `http://127.0.0.1:${port}`, child, log: () => log, user, stop };
}

async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name) });
}

/// The text of the editor's visible lines (Monaco renders spaces as U+00A0).
async function editorText(page) {
  const text = await page.locator('.editor-instance .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

async function command(page, title) {
  await page.keyboard.press('Control+Shift+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

async function goToLine(page, line, column) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

async function openWorkbench(browser, server, folder) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
  const item = page.getByRole('treeitem', { name: 'acme.compel' }).first();
  await item.waitFor({ timeout: 90000 });
  await item.click();
  await page.locator('.editor-instance .view-lines').first().waitFor({ timeout: 30000 });
  await page.locator('.editor-instance .monaco-editor').first().click({ position: { x: 200, y: 10 } });
  currentPage = page;
  return page;
}

const lines = (file) => fs.readFileSync(file, 'utf8').split('\n');
const lineOf = (all, re) => {
  const i = all.findIndex((l) => re.test(l));
  assert.ok(i >= 0, `no line matches ${re}`);
  return i + 1;
};

async function missingBinary(browser, folder) {
  const server = await startCodeServer('compel-not-installed-anywhere');
  try {
    const page = await openWorkbench(browser, server, folder);
    await check('activation and the missing-binary message', async () => {
      const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'binary was not found' });
      await toast.first().waitFor({ timeout: 60000 });
      const text = await toast.first().innerText();
      assert.match(text, /compel\.server\.path/);
      assert.match(text, /cargo install/);
      return text.split('\n').find((l) => /binary was not found/.test(l));
    });
    await page.close();
  } finally {
    server.stop();
  }
}

async function withServer(browser, folder) {
  const server = await startCodeServer(env('COMPEL_BIN'));
  const acme = lines(path.join(folder, 'acme.compel'));
  try {
    const page = await openWorkbench(browser, server, folder);

    await check('no missing-binary message with compel.server.path set', async () => {
      // The client starts: the status bar's language is compel and the
      // server's semantic tokens or diagnostics arrive (checked below).
      await page.locator('.statusbar', { hasText: 'compel' }).waitFor({ timeout: 30000 });
      const toasts = await page.locator('.notifications-toasts').innerText().catch(() => '');
      assert.ok(!/not found|erroring/.test(toasts), toasts);
      return 'status bar: compel';
    });

    const requireLine = lineOf(acme, /^\s+require accuracy$/);
    const focusEditor = () => page.locator('.editor-instance .monaco-editor').first().click({ position: { x: 200, y: 10 } });
    await check('a misspelt KPI shows E0301 in the Problems view', async () => {
      await goToLine(page, requireLine, acme[requireLine - 1].length + 1);
      await page.keyboard.press('Control+Backspace');
      await page.keyboard.type('acuracy');
      await page.keyboard.press('Control+Shift+M');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: '`acuracy`' });
      await problem.first().waitFor({ timeout: 30000 });
      const text = (await page.locator('.markers-panel').innerText()).replace(/\s+/g, ' ');
      assert.match(text, /unknown \w+ `acuracy`/);
      assert.match(text, /E0301/);
      assert.match(text, /did you mean `accuracy`/);
      assert.match(text, new RegExp(`Ln ${requireLine}, Col ${acme[requireLine - 1].indexOf('accuracy') + 1}`));
      await focusEditor();
      await goToLine(page, requireLine, 12);
      await shot(page, 'diagnostic.png');
      return text.slice(text.indexOf('unknown'), text.indexOf('unknown') + 100);
    });

    await check('fixing the typo clears the Problems view', async () => {
      await focusEditor();
      await goToLine(page, requireLine, acme[requireLine - 1].length);
      await page.keyboard.press('Control+Backspace');
      await page.keyboard.type('accuracy');
      await page.locator('.markers-panel', { hasText: 'No problems have been detected' }).waitFor({ timeout: 30000 });
      const text = await editorText(page);
      assert.ok(!text.includes('acuracy'), 'the typo is gone from the editor');
      await page.keyboard.press('Control+J'); // the panel closes
      return 'No problems have been detected in the workspace';
    });

    await check('hovering a KPI shows its doc comment', async () => {
      const line = lineOf(acme, /^\s+kpis\s+\[accuracy/);
      await goToLine(page, line, acme[line - 1].indexOf('accuracy') + 3);
      await page.keyboard.press('Control+K');
      await page.keyboard.press('Control+I');
      const hover = page.locator('.monaco-hover', { hasText: 'Top-1 accuracy on the weekly holdout set' });
      await hover.first().waitFor({ state: 'visible', timeout: 30000 });
      await shot(page, 'hover.png');
      const text = await hover.first().innerText();
      assert.match(text, /kpi accuracy/);
      await page.keyboard.press('Escape');
      return text.replace(/\s+/g, ' ').slice(0, 120);
    });

    await check('completion after `sponsor ` offers the persons; Enter accepts one', async () => {
      const line = lineOf(acme, /^\s+sponsor\s+dana$/);
      await goToLine(page, line, acme[line - 1].length + 1);
      await page.keyboard.press('Control+Backspace'); // `dana` goes
      await page.keyboard.press('Control+Space');
      const widget = page.locator('.editor-widget.suggest-widget');
      await widget.locator('.monaco-list-row', { hasText: 'priya' }).first().waitFor({ timeout: 30000 });
      const items = (await widget.locator('.monaco-list-row .label-name').allInnerTexts()).map((s) => s.trim());
      assert.ok(items.includes('dana') && items.includes('priya'), `items: ${items.join(', ')}`);
      // `dana` (the CFO: priya would break the example's C-suite sponsor
      // policy, which Evaluate folder checks below).
      await page.keyboard.type('da');
      // Enter once the list has narrowed to `dana` and selected it.
      await widget.locator('.monaco-list-row.focused', { hasText: 'dana' }).waitFor({ timeout: 10000 });
      await shot(page, 'completion.png');
      await page.keyboard.press('Enter');
      await widget.waitFor({ state: 'hidden', timeout: 10000 });
      let sponsor = '';
      const deadline = Date.now() + 10000;
      while (!/^\s+sponsor\s+dana$/.test(sponsor) && Date.now() < deadline) {
        sponsor = (await editorText(page)).split('\n').find((l) => /^\s*sponsor\b/.test(l)) || '';
        if (!/^\s+sponsor\s+dana$/.test(sponsor)) await page.waitForTimeout(100);
      }
      assert.match(sponsor, /^\s+sponsor\s+dana$/, `the line reads ${JSON.stringify(sponsor)}`);
      return `offered ${items.join(', ')}; the line reads \`sponsor dana\``;
    });

    await check('the Run test code lens runs a test block', async () => {
      const tests = lines(path.join(folder, 'acme_test.compel'));
      const name = tests.find((l) => /^test "/.test(l)).match(/^test "([^"]+)"/)[1];
      await page.getByRole('treeitem', { name: 'acme_test.compel' }).first().click();
      await page.locator('.tabs-container .tab.active', { hasText: 'acme_test.compel' }).waitFor({ timeout: 30000 });
      const lens = page.locator('.editor-instance .codelens-decoration a', { hasText: 'Run test' });
      await lens.first().waitFor({ timeout: 30000 });
      await lens.first().click();
      const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: `test "${name}"` });
      await toast.first().waitFor({ timeout: 60000 });
      const text = (await toast.first().innerText()).split('\n')[0];
      assert.match(text, /pass/i);
      await page.getByRole('treeitem', { name: 'acme.compel' }).first().click();
      return text;
    });

    await check('compel: Evaluate folder opens the report', async () => {
      await command(page, 'compel: Evaluate folder');
      // The report opens in the Markdown preview, a webview (frames inside
      // the page).
      const tab = page.locator('.tabs-container .tab', { hasText: /Preview compel-eval/ });
      // The built-in Markdown preview activates on first use: on a busy
      // two-core machine that alone has taken over a minute.
      await tab.first().waitFor({ timeout: 180000 });
      let body = '';
      const deadline = Date.now() + 30000;
      while (!body && Date.now() < deadline) {
        for (const frame of page.frames()) {
          if (frame === page.mainFrame()) continue;
          const text = await frame.evaluate(() => document.body && document.body.innerText).catch(() => '');
          if (/compel eval:/.test(text || '')) body = text;
        }
        if (!body) await page.waitForTimeout(250);
      }
      assert.match(body, /compel eval: pass/);
      assert.match(body, /scoring_v2/);
      assert.match(body, /not ready/);
      assert.match(body, /latency_p95 for 7d/);
      await shot(page, 'evaluate.png');
      return body.split('\n').slice(0, 3).join(' ');
    });
    await page.close();
  } finally {
    server.stop();
  }
}

(async () => {
  const folder = workspace();
  const browser = await chromium.launch({ executablePath: env('CHROMIUM'), args: ['--no-sandbox'] });
  try {
    await missingBinary(browser, folder);
    await withServer(browser, folder);
  } finally {
    await browser.close();
  }
  console.log(`code-server: ${results.passed} passed, ${results.failed} failed`);
  process.exit(results.failed > 0 ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
