// The compel extension: starts `compel lsp` for `.compel` files and adds
// "compel: Evaluate folder", which runs `compel eval` and shows the report.

import * as cp from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
} from 'vscode-languageclient/node';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let evalOutput: vscode.OutputChannel | undefined;

const INSTALL_HINT =
  'Install it from the compel repository with `cargo install --path .` (or put a built `compel` on your PATH), ' +
  'or set `compel.server.path` to the binary.';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('compel');
  context.subscriptions.push(output);

  context.subscriptions.push(
    vscode.commands.registerCommand('compel.restartServer', async () => {
      await stopClient();
      await startClient();
    }),
    vscode.commands.registerCommand('compel.evaluateFolder', (uri?: vscode.Uri) => evaluateFolder(context, uri)),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration('compel.server')) {
        await stopClient();
        await startClient();
      }
    }),
  );

  context.subscriptions.push({ dispose: () => void stopClient() });
  await startClient();
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

// ---- the binary -------------------------------------------------------------

/** What `compel.server.path` says, resolved to an executable file, or undefined. */
function resolveBinary(): { configured: string; resolved: string | undefined } {
  const configured = (vscode.workspace.getConfiguration('compel').get<string>('server.path') || 'compel').trim();
  const expanded = configured.startsWith('~')
    ? path.join(process.env.HOME || process.env.USERPROFILE || '', configured.slice(1))
    : configured;
  if (expanded.includes('/') || expanded.includes('\\')) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const candidate = path.isAbsolute(expanded) || !folder ? path.resolve(expanded) : path.resolve(folder, expanded);
    return { configured, resolved: executableVariant(candidate) };
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) {
      continue;
    }
    const found = executableVariant(path.join(dir, expanded));
    if (found) {
      return { configured, resolved: found };
    }
  }
  return { configured, resolved: undefined };
}

/** The file itself, or on Windows the file with one of PATHEXT's extensions. */
function executableVariant(file: string): string | undefined {
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT || '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const ext of exts) {
    const f = file + ext.toLowerCase();
    try {
      const st = fs.statSync(f);
      if (st.isFile()) {
        if (process.platform !== 'win32') {
          fs.accessSync(f, fs.constants.X_OK);
        }
        return f;
      }
    } catch {
      // not this one
    }
  }
  return undefined;
}

function serverEnv(): NodeJS.ProcessEnv {
  const extra = vscode.workspace.getConfiguration('compel').get<Record<string, string>>('server.extraEnv') || {};
  return { ...process.env, ...extra };
}

async function reportMissingBinary(configured: string): Promise<void> {
  const message =
    `compel: the \`compel\` binary was not found (compel.server.path is "${configured}"). ` +
    `Highlighting and snippets work without it; diagnostics, completion, hover and evaluation need it. ${INSTALL_HINT}`;
  output.appendLine(message);
  const choice = await vscode.window.showErrorMessage(message, 'Open Settings', 'Show Log');
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'compel.server.path');
  } else if (choice === 'Show Log') {
    output.show(true);
  }
}

// ---- the language server ----------------------------------------------------

async function startClient(): Promise<void> {
  const { configured, resolved } = resolveBinary();
  if (!resolved) {
    void reportMissingBinary(configured);
    return;
  }
  output.appendLine(`Starting ${resolved} lsp`);

  // No `transport`: stdio as is. `TransportKind.stdio` would append
  // `--stdio` to the arguments, which `compel lsp` does not take.
  const run = { command: resolved, args: ['lsp'], options: { env: serverEnv() } };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'compel' },
      { scheme: 'untitled', language: 'compel' },
    ],
    synchronize: {
      fileEvents: [
        vscode.workspace.createFileSystemWatcher('**/*.compel'),
        vscode.workspace.createFileSystemWatcher('**/compel.toml'),
      ],
    },
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };

  const c = new LanguageClient('compel', 'compel language server', serverOptions, clientOptions);
  client = c;
  try {
    await c.start();
  } catch (err) {
    client = undefined;
    const message = `compel: could not start \`${resolved} lsp\`: ${err instanceof Error ? err.message : String(err)}`;
    output.appendLine(message);
    const choice = await vscode.window.showErrorMessage(`${message}. ${INSTALL_HINT}`, 'Open Settings', 'Show Log');
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'compel.server.path');
    } else if (choice === 'Show Log') {
      output.show(true);
    }
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch {
      // already stopped
    }
  }
}

// ---- compel: Evaluate folder ------------------------------------------------

async function pickFolder(uri?: vscode.Uri): Promise<string | undefined> {
  if (uri && uri.scheme === 'file') {
    try {
      if (fs.statSync(uri.fsPath).isDirectory()) {
        return uri.fsPath;
      }
    } catch {
      // fall through
    }
  }
  const folders = vscode.workspace.workspaceFolders || [];
  if (folders.length === 1) {
    return folders[0].uri.fsPath;
  }
  if (folders.length > 1) {
    const active = vscode.window.activeTextEditor?.document.uri;
    const picked = await vscode.window.showWorkspaceFolderPick({
      placeHolder: 'The folder to evaluate with compel eval',
    });
    if (picked) {
      return picked.uri.fsPath;
    }
    return active ? vscode.workspace.getWorkspaceFolder(active)?.uri.fsPath : undefined;
  }
  const chosen = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    openLabel: 'Evaluate',
  });
  return chosen?.[0]?.fsPath;
}

/** The first `compel.toml` at or above `dir`, as `compel eval --config` would find it. */
function findConfig(dir: string): string | undefined {
  let d = path.resolve(dir);
  for (;;) {
    const candidate = path.join(d, 'compel.toml');
    if (fs.existsSync(candidate)) {
      return candidate;
    }
    const parent = path.dirname(d);
    if (parent === d) {
      return undefined;
    }
    d = parent;
  }
}

/** The metric-source flags: the settings, else compel.toml's sources, else files the user picks. */
async function metricFlags(folder: string): Promise<string[] | undefined> {
  const cfg = vscode.workspace.getConfiguration('compel', vscode.Uri.file(folder));
  const prometheus = (cfg.get<string>('eval.prometheus') || '').trim();
  if (prometheus) {
    return ['--prometheus', prometheus];
  }
  const metrics = (cfg.get<string[]>('eval.metrics') || []).filter((m) => m.trim() !== '');
  if (metrics.length > 0) {
    return metrics.flatMap((m) => ['--metrics', path.resolve(folder, m)]);
  }
  if (findConfig(folder)) {
    return [];
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectMany: true,
    defaultUri: vscode.Uri.file(folder),
    openLabel: 'Use these metrics',
    title: 'Metrics for compel eval (set compel.eval.metrics to skip this question)',
    filters: { Metrics: ['json', 'csv', 'txt', 'prom', 'om'], 'All files': ['*'] },
  });
  if (!picked || picked.length === 0) {
    return undefined;
  }
  return picked.flatMap((u) => ['--metrics', u.fsPath]);
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
}

function runCompel(binary: string, args: string[], cwd: string, token: vscode.CancellationToken): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = cp.spawn(binary, args, { cwd, env: serverEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const cancel = token.onCancellationRequested(() => child.kill());
    child.on('error', (error: NodeJS.ErrnoException) => {
      cancel.dispose();
      resolve({ code: null, stdout, stderr, error });
    });
    child.on('close', (code) => {
      cancel.dispose();
      resolve({ code, stdout, stderr });
    });
  });
}

async function evaluateFolder(context: vscode.ExtensionContext, uri?: vscode.Uri): Promise<void> {
  const folder = await pickFolder(uri);
  if (!folder) {
    return;
  }
  const { configured, resolved } = resolveBinary();
  if (!resolved) {
    await reportMissingBinary(configured);
    return;
  }
  const sources = await metricFlags(folder);
  if (!sources) {
    return;
  }
  const cfg = vscode.workspace.getConfiguration('compel', vscode.Uri.file(folder));
  const now = (cfg.get<string>('eval.now') || '').trim();
  const args = ['eval', folder, '--format', 'markdown', ...sources, ...(now ? ['--now', now] : [])];

  // Save edits first: compel eval reads the files on disk.
  await vscode.workspace.saveAll(false);

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `compel eval ${path.basename(folder)}`, cancellable: true },
    (_progress, token) => runCompel(resolved, args, folder, token),
  );

  if (!evalOutput) {
    evalOutput = vscode.window.createOutputChannel('compel eval', 'markdown');
    context.subscriptions.push(evalOutput);
  }
  const ch = evalOutput;
  ch.clear();
  ch.appendLine(`$ ${[resolved, ...args].map(quote).join(' ')}`);
  ch.appendLine('');

  if (result.error) {
    ch.appendLine(String(result.error.message));
    ch.show(true);
    if (result.error.code === 'ENOENT') {
      await reportMissingBinary(configured);
    } else {
      void vscode.window.showErrorMessage(`compel eval could not run: ${result.error.message}`);
    }
    return;
  }
  // Exit 0: everything passes or warns; 1: a gate or policy blocks; 2: unusable input.
  if (result.code !== 0 && result.code !== 1) {
    ch.appendLine(result.stderr || result.stdout);
    ch.show(true);
    const first = (result.stderr.trim().split('\n')[0] || `exit code ${result.code}`).trim();
    void vscode.window.showErrorMessage(`compel eval failed: ${first}`);
    return;
  }
  ch.append(result.stdout);
  if (result.stderr.trim()) {
    ch.appendLine('');
    ch.append(result.stderr);
  }

  if (cfg.get<string>('eval.output') === 'outputChannel') {
    ch.show(true);
  } else {
    const dir = context.globalStorageUri.fsPath;
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `compel-eval-${path.basename(folder).replace(/[^\w.-]/g, '_')}.md`);
    fs.writeFileSync(file, result.stdout, 'utf8');
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(file));
  }
  if (result.code === 1) {
    void vscode.window.showWarningMessage('compel eval: a gate or policy blocks (fail or unknown); see the report.');
  } else {
    void vscode.window.showInformationMessage('compel eval: every gate and policy passes or warns.');
  }
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
