// Renders a .compel file as an HTML page in VS Code's Dark+ colours, with the
// extension's TextMate grammar, and optionally the diagnostics the real
// language server publishes for it (squiggles, the first one's hover, and a
// problems list). editors/screenshots/make.sh turns the pages into PNGs with
// headless Chromium.
//
//   node editors/screenshots/render.js FILE OUT.html [--lines A-B] [--lsp COMPEL_BIN] [--title T]
'use strict';

const fs = require('fs');
const path = require('path');
const cp = require('child_process');

const MODULES = path.join(__dirname, '..', 'vscode', 'node_modules');
const vt = require(path.join(MODULES, 'vscode-textmate'));
const onig = require(path.join(MODULES, 'vscode-oniguruma'));
const GRAMMAR = path.join(__dirname, '..', 'vscode', 'syntaxes', 'compel.tmLanguage.json');

// Dark+ (VS Code's default dark theme), the scopes this grammar uses.
const THEME = {
  name: 'Dark+',
  settings: [
    { settings: { foreground: '#D4D4D4', background: '#1E1E1E' } },
    { scope: 'comment', settings: { foreground: '#6A9955' } },
    { scope: 'markup.inline.raw', settings: { foreground: '#CE9178' } },
    { scope: 'string', settings: { foreground: '#CE9178' } },
    { scope: 'constant.character.escape', settings: { foreground: '#D7BA7D' } },
    { scope: 'constant.numeric', settings: { foreground: '#B5CEA8' } },
    { scope: 'constant.other.date, constant.other.datetime', settings: { foreground: '#B5CEA8' } },
    { scope: 'keyword.other.unit', settings: { foreground: '#B5CEA8' } },
    { scope: 'constant.language', settings: { foreground: '#569CD6' } },
    { scope: 'variable.language', settings: { foreground: '#569CD6' } },
    { scope: 'keyword', settings: { foreground: '#569CD6' } },
    { scope: 'keyword.control', settings: { foreground: '#C586C0' } },
    { scope: 'keyword.operator', settings: { foreground: '#D4D4D4' } },
    { scope: 'keyword.operator.logical, keyword.operator.in, keyword.operator.for', settings: { foreground: '#569CD6' } },
    { scope: 'storage.type', settings: { foreground: '#569CD6' } },
    { scope: 'entity.name.type', settings: { foreground: '#4EC9B0' } },
    { scope: 'entity.name.function, support.function', settings: { foreground: '#DCDCAA' } },
    { scope: 'entity.name.constant, support.constant', settings: { foreground: '#4FC1FF' } },
    { scope: 'support.type', settings: { foreground: '#4EC9B0' } },
    { scope: 'variable', settings: { foreground: '#9CDCFE' } },
    { scope: 'variable.other.property', settings: { foreground: '#9CDCFE' } },
    { scope: 'entity.name.tag', settings: { foreground: '#9CDCFE' } },
    { scope: 'variable.parameter', settings: { foreground: '#9CDCFE' } },
    { scope: 'invalid', settings: { foreground: '#F44747' } },
  ],
};

function esc(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The diagnostics `compel lsp` publishes for `file` (LSP JSON). */
function diagnosticsFrom(bin, file, text) {
  return new Promise((resolve, reject) => {
    const child = cp.spawn(bin, ['lsp'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const uri = 'file://' + path.resolve(file);
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => (child.kill(), reject(new Error('no diagnostics within 10 s'))), 10000);
    const send = (m) => {
      const body = Buffer.from(JSON.stringify(m));
      child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
      child.stdin.write(body);
    };
    child.stdout.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const head = buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const len = Number(/Content-Length: (\d+)/i.exec(buf.slice(0, head).toString())[1]);
        if (buf.length < head + 4 + len) return;
        const msg = JSON.parse(buf.slice(head + 4, head + 4 + len).toString());
        buf = buf.slice(head + 4 + len);
        if (msg.id === 1) {
          send({ jsonrpc: '2.0', method: 'initialized', params: {} });
          send({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'compel', version: 1, text } } });
        } else if (msg.method === 'textDocument/publishDiagnostics' && msg.params.uri === uri && msg.params.diagnostics.length) {
          clearTimeout(timer);
          send({ jsonrpc: '2.0', id: 2, method: 'shutdown' });
          send({ jsonrpc: '2.0', method: 'exit' });
          child.stdin.end();
          resolve(msg.params.diagnostics);
        } else if (msg.method && msg.id !== undefined) {
          send({ jsonrpc: '2.0', id: msg.id, result: null });
        }
      }
    });
    const root = 'file://' + path.dirname(path.resolve(file));
    send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: process.pid, rootUri: root, capabilities: {} } });
  });
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const lines = opt('--lines');
  const lsp = opt('--lsp');
  const title = opt('--title');
  const [file, out] = args;
  const text = fs.readFileSync(file, 'utf8');
  const diags = lsp ? await diagnosticsFrom(lsp, file, text) : [];

  await onig.loadWASM(fs.readFileSync(path.join(MODULES, 'vscode-oniguruma', 'release', 'onig.wasm')).buffer);
  const registry = new vt.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s) => new onig.OnigScanner(s), createOnigString: (s) => new onig.OnigString(s) }),
    loadGrammar: async (scope) => (scope === 'source.compel' ? vt.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null),
    theme: THEME,
  });
  const grammar = await registry.loadGrammar('source.compel');
  const colors = registry.getColorMap();

  const all = text.replace(/\n$/, '').split('\n');
  const [from, to] = lines ? lines.split('-').map(Number) : [1, all.length];
  let state = vt.INITIAL;
  const rows = [];
  all.forEach((line, i) => {
    const r = grammar.tokenizeLine2(line, state);
    state = r.ruleStack;
    if (i + 1 < from || i + 1 > to) return;
    const t = r.tokens;
    // Character ranges of diagnostics on this line.
    const marks = diags.filter((d) => d.range.start.line === i);
    let html = '';
    for (let k = 0; k < t.length; k += 2) {
      const start = t[k];
      const end = k + 2 < t.length ? t[k + 2] : line.length;
      const fg = colors[(t[k + 1] & 0xff800) >>> 15];
      for (let c = start; c < end; c++) {
        const squiggle = marks.some((d) => c >= d.range.start.character && c < d.range.end.character);
        html += `<span style="color:${fg}"${squiggle ? ' class="sq"' : ''}>${esc(line[c])}</span>`;
      }
    }
    rows.push({ n: i + 1, html, diag: marks[0] });
  });

  const first = diags[0];
  const body = rows
    .map((r) => {
      let hover = '';
      if (r.diag && r.diag === first) {
        const msg = esc(first.message).replace(/\n/g, '<br>');
        hover = `<div class="hover" style="left:${4.2 + first.range.start.character * 0.6}em">` +
          `<div>${msg} <span class="src">${esc(first.source || 'compel')}(${esc(String(first.code))})</span></div>` +
          `<div class="qf">Quick Fix... (Ctrl+.)</div></div>`;
      }
      return `<div class="row"><span class="ln">${r.n}</span><span class="code">${r.html || ' '}</span>${hover}</div>`;
    })
    .join('\n');
  const problems = diags.length
    ? `<div class="panel"><div class="tabs"><span class="tab">PROBLEMS <b>${diags.length}</b></span><span>OUTPUT</span><span>TERMINAL</span></div>` +
      diags
        .map((d) => `<div class="prob"><span class="err">&#x2716;</span> ${esc(d.message.split('\n')[0])} <span class="src">${esc(d.source || 'compel')}(${esc(String(d.code))})</span> <span class="pos">[Ln ${d.range.start.line + 1}, Col ${d.range.start.character + 1}]</span></div>`)
        .join('')
      + '</div>'
    : '';
  const html = `<!doctype html><meta charset="utf-8"><style>
body{margin:0;background:#1e1e1e;font:15px/1.45 'DejaVu Sans Mono',monospace;color:#d4d4d4}
.title{background:#252526;color:#ccc;font:13px 'DejaVu Sans',sans-serif;padding:7px 14px;border-bottom:1px solid #333}
.title b{color:#fff;font-weight:normal;background:#1e1e1e;padding:7px 14px;margin-left:-14px;border-top:1px solid #0078d4}
.editor{padding:8px 0 ${diags.length ? "6.5em" : "8px"}}
.row{white-space:pre;height:1.45em;position:relative}
.ln{display:inline-block;width:3.2em;text-align:right;color:#858585;margin-right:1em}
.sq{text-decoration:underline wavy #f14c4c;text-decoration-skip-ink:none;text-underline-offset:2px}
.hover{position:absolute;top:1.55em;display:block;background:#252526;border:1px solid #454545;padding:6px 10px;font-size:14px;white-space:normal;z-index:2;box-shadow:0 2px 8px #000a;white-space:nowrap}
.hover .src{color:#9d9d9d}
.hover .qf{color:#3794ff;margin-top:6px;border-top:1px solid #454545;padding-top:4px}
.panel{border-top:1px solid #444;font:13px 'DejaVu Sans',sans-serif;padding:4px 14px 10px}
.tabs span{margin-right:22px;color:#9d9d9d;font-size:11px;letter-spacing:.5px}
.tabs .tab{color:#e7e7e7;border-bottom:1px solid #e7e7e7;padding-bottom:3px}
.tabs b{background:#4d4d4d;border-radius:9px;padding:0 6px;font-weight:normal}
.prob{margin-top:8px}.prob .err{color:#f14c4c}.prob .src,.prob .pos{color:#9d9d9d}
</style>
<div class="title"><b>${esc(title || path.basename(file))}</b></div>
<div class="editor">${body}</div>
${problems}`;
  fs.writeFileSync(out, html);
  console.log(`wrote ${out} (${rows.length} lines, ${diags.length} diagnostics)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
