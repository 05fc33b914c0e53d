#!/usr/bin/env python3
"""A minimal LSP client: starts the server the way editors/helix/languages.toml
says (`[language-server.compel]` command and args, on stdio), as any LSP
client would, and checks the handshake, the capabilities the README lists,
and the diagnostics of a file with a misspelt KPI.

    python3 editors/test/lsp_smoke.py --config editors/helix/languages.toml \
        --compel target/debug/compel --file editors/neovim/test/fixtures/misspelt.compel

`--compel` replaces the configured command's `compel` with that binary (the
arguments stay those of the config). Prints PASS/FAIL lines and a summary;
exits 1 on failure.
"""

import argparse
import json
import os
import pathlib
import queue
import subprocess
import sys
import threading
import time
import tomllib

results = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    detail = str(detail).replace("\n", " | ")
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    return ok


class Client:
    def __init__(self, argv, cwd):
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.inbox = queue.Queue()
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.inbox.put(None)
                    return
                line = line.decode("ascii").strip()
                if not line:
                    break
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            body = out.read(int(headers["content-length"]))
            self.inbox.put(json.loads(body))

    def send(self, msg):
        data = json.dumps(msg).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def request(self, method, params, timeout=10):
        rid = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:  # `shutdown` has no params: omit them (null is not valid JSON-RPC)
            msg["params"] = params
        self.send(msg)
        return self.wait(lambda m: m.get("id") == rid and "method" not in m, timeout)

    def notify(self, method, params):
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def wait(self, pred, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = self.inbox.get(timeout=left)
            except queue.Empty:
                return None
            if msg is None:
                return None
            if "method" in msg and "id" in msg:
                # A request from the server (registerCapability, ...): accept it.
                self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                continue
            if pred(msg):
                return msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--compel", required=True)
    ap.add_argument("--file", required=True)
    a = ap.parse_args()

    cfg = tomllib.load(open(a.config, "rb"))
    lang = next(l for l in cfg["language"] if l["name"] == "compel")
    check("helix language entry", lang.get("file-types") == ["compel"] and "compel" in lang.get("language-servers", [])
          and lang.get("comment-token") == "//", f"file-types={lang.get('file-types')}, comment-token={lang.get('comment-token')}")
    server = cfg["language-server"]["compel"]
    argv = [server["command"]] + server.get("args", [])
    check("server command", argv == ["compel", "lsp"], " ".join(argv))
    argv[0] = os.path.abspath(a.compel)

    text = pathlib.Path(a.file).read_text(encoding="utf-8")
    root = pathlib.Path(a.file).resolve().parent
    uri = (root / pathlib.Path(a.file).name).as_uri()
    want_line = next(i for i, l in enumerate(text.splitlines()) if "acuracy" in l and not l.lstrip().startswith("//"))

    c = Client(argv, cwd=root)
    try:
        init = c.request("initialize", {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"textDocument": {"publishDiagnostics": {}}},
        })
        if not check("initialize", init is not None and "result" in init, "no answer" if init is None else init.get("error", "")):
            return
        caps = init["result"]["capabilities"]
        info = init["result"].get("serverInfo", {})
        check("serverInfo", info.get("name") == "compel", info)
        for cap in ["textDocumentSync", "hoverProvider", "completionProvider", "signatureHelpProvider",
                    "definitionProvider", "referencesProvider", "renameProvider", "documentSymbolProvider",
                    "workspaceSymbolProvider", "documentFormattingProvider", "foldingRangeProvider",
                    "codeActionProvider", "semanticTokensProvider"]:
            check(f"capability {cap}", bool(caps.get(cap)), json.dumps(caps.get(cap))[:80])
        c.notify("initialized", {})
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "compel", "version": 1, "text": text}})
        diag = c.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == uri and m["params"]["diagnostics"], timeout=10)
        ds = diag["params"]["diagnostics"] if diag else []
        hit = [d for d in ds if d.get("code") == "E0301" and d["range"]["start"]["line"] == want_line]
        check(f"E0301 on line {want_line}", bool(hit), json.dumps(ds)[:300] if not hit else hit[0]["message"])
        shut = c.request("shutdown", None)
        check("shutdown", shut is not None and "error" not in shut, shut)
        c.notify("exit", None)
        # Clients close the server's stdin after `exit` (and kill it after a
        # grace period); allow for a server that waits for that EOF.
        how = "on `exit`"
        try:
            code = c.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            how = "on `exit` + stdin EOF (not on `exit` alone)"
            c.proc.stdin.close()
            try:
                code = c.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = "none: still running 5 s after stdin EOF"
        check("server exits with 0 after shutdown", code == 0, f"exit code {code}, {how}")
    finally:
        if c.proc.poll() is None:
            c.proc.kill()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - report any failure as a FAIL line
        check("lsp smoke test", False, repr(e))
    print(f"lsp: {results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
