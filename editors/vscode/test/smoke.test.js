// Smoke tests of the compiled extension (out/extension.js) outside VS Code:
// the `vscode` API and vscode-languageclient are replaced by small fakes that
// record what the extension asks of them. The `compel eval` command runs the
// real binary (COMPEL_BIN, default ../../target/debug/compel).
//
//   npm run compile && COMPEL_BIN=/path/to/compel node --test test/
'use strict';

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Module = require('node:module');
const test = require('node:test');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const COMPEL_BIN = path.resolve(ROOT, process.env.COMPEL_BIN || 'target/debug/compel');
const ACME = path.join(ROOT, 'examples', 'acme');

/** A fake `vscode` module and a log of what the extension did with it. */
function fakeVscode(settings, folders) {
  const log = { errors: [], warnings: [], infos: [], commands: {}, executed: [], clients: [], output: [] };
  const disposable = { dispose() {} };
  const channel = (name) => ({
    name,
    appendLine: (s) => log.output.push(s),
    append: (s) => log.output.push(s),
    clear() {},
    show() {},
    dispose() {},
  });
  const vscode = {
    window: {
      createOutputChannel: channel,
      showErrorMessage: async (m) => (log.errors.push(m), undefined),
      showWarningMessage: async (m) => (log.warnings.push(m), undefined),
      showInformationMessage: async (m) => (log.infos.push(m), undefined),
      showOpenDialog: async () => undefined,
      showWorkspaceFolderPick: async () => undefined,
      withProgress: (_opts, task) => task({ report() {} }, { onCancellationRequested: () => disposable }),
      activeTextEditor: undefined,
    },
    commands: {
      registerCommand: (id, fn) => ((log.commands[id] = fn), disposable),
      executeCommand: async (...args) => (log.executed.push(args), undefined),
    },
    workspace: {
      workspaceFolders: folders.map((f) => ({ uri: { fsPath: f, scheme: 'file' }, name: path.basename(f) })),
      getConfiguration: () => ({ get: (key) => settings[key] }),
      onDidChangeConfiguration: () => disposable,
      createFileSystemWatcher: () => disposable,
      saveAll: async () => true,
      getWorkspaceFolder: () => undefined,
    },
    Uri: { file: (p) => ({ fsPath: p, scheme: 'file', toString: () => 'file://' + p }) },
    ProgressLocation: { Notification: 15 },
  };
  return { vscode, log };
}

/** A fake vscode-languageclient/node that records the clients started. */
function fakeLanguageClient(log) {
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      log.clients.push({ id, name, serverOptions, clientOptions, started: false });
      this.record = log.clients[log.clients.length - 1];
    }
    async start() {
      this.record.started = true;
    }
    async stop() {}
  }
  return { LanguageClient, TransportKind: { stdio: 0 }, RevealOutputChannelOn: { Never: 4 } };
}

/** Loads a fresh copy of out/extension.js against the fakes. */
function loadExtension(settings, folders = [ACME]) {
  const { vscode, log } = fakeVscode(settings, folders);
  const lc = fakeLanguageClient(log);
  const original = Module._load;
  Module._load = function (request, parent, isMain) {
    if (request === 'vscode') return vscode;
    if (request === 'vscode-languageclient/node') return lc;
    return original.call(this, request, parent, isMain);
  };
  const file = require.resolve('../out/extension.js');
  delete require.cache[file];
  try {
    return { ext: require(file), log };
  } finally {
    Module._load = original;
  }
}

function context() {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'compel-vscode-'));
  return { subscriptions: [], globalStorageUri: { fsPath: storage } };
}

test('a missing binary gives a clear error with a hint', async () => {
  const { ext, log } = loadExtension({ 'server.path': 'compel-not-installed-anywhere' });
  await ext.activate(context());
  await new Promise((r) => setImmediate(r));
  assert.strictEqual(log.clients.length, 0, 'no client is started');
  assert.strictEqual(log.errors.length, 1, 'one error message');
  assert.match(log.errors[0], /binary was not found/);
  assert.match(log.errors[0], /compel\.server\.path/);
  assert.match(log.errors[0], /cargo install/);
  assert.ok(log.commands['compel.evaluateFolder'], 'the eval command is registered');
});

test('the client starts `compel lsp` on stdio for compel documents', async () => {
  const { ext, log } = loadExtension({ 'server.path': COMPEL_BIN });
  await ext.activate(context());
  assert.strictEqual(log.errors.length, 0, log.errors.join('\n'));
  assert.strictEqual(log.clients.length, 1);
  const c = log.clients[0];
  assert.strictEqual(c.id, 'compel');
  assert.ok(c.started);
  assert.strictEqual(c.serverOptions.run.command, COMPEL_BIN);
  assert.deepStrictEqual(c.serverOptions.run.args, ['lsp']);
  // vscode-languageclient appends `--stdio` when the transport is
  // TransportKind.stdio; `compel lsp` takes no arguments.
  assert.strictEqual(c.serverOptions.run.transport, undefined);
  assert.deepStrictEqual(
    c.clientOptions.documentSelector.map((s) => s.language),
    ['compel', 'compel'],
  );
  await ext.deactivate();
});

test('compel: Evaluate folder runs compel eval and previews the markdown report', async () => {
  const { ext, log } = loadExtension({
    'server.path': COMPEL_BIN,
    'eval.metrics': ['metrics/latency-spike.json'],
    'eval.now': '2026-11-24T00:00:00Z',
    'eval.output': 'preview',
  });
  const ctx = context();
  await ext.activate(ctx);
  await log.commands['compel.evaluateFolder']();
  assert.strictEqual(log.errors.length, 0, log.errors.join('\n'));
  const preview = log.executed.find((a) => a[0] === 'markdown.showPreview');
  assert.ok(preview, 'a markdown preview is opened');
  const report = fs.readFileSync(preview[1].fsPath, 'utf8');
  // Every obligation holds (exit 0); the latency spike makes `scoring_v2`
  // not ready to advance, which is readiness, not a failure.
  assert.match(report, /compel eval: pass/);
  assert.match(report, /latency_p95/);
  assert.match(report, /not ready/);
  assert.strictEqual(log.warnings.length, 0, log.warnings.join('\n'));
  await ext.deactivate();
});
