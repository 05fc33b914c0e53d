//! A small language-server client for the tests: it starts the real
//! `compel lsp` binary, speaks JSON-RPC with `Content-Length` framing over
//! its stdin and stdout, and reads on a separate thread so that every wait
//! has a timeout: a server that hangs fails the test instead of hanging CI.

#![allow(dead_code)]

pub mod document;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long any single wait may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A running server and the workspace it was started in.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications received and not consumed yet.
    queue: VecDeque<Value>,
    /// The workspace folder (a copy of a fixture).
    pub root: PathBuf,
    /// Its URI, without a trailing slash.
    pub root_uri: String,
    /// The position encoding the server chose.
    pub encoding: String,
    /// The server's capabilities, from its answer to `initialize`.
    pub capabilities: Value,
    /// The `compel` section answered to `workspace/configuration` (when
    /// the client offers that), settable between requests.
    pub settings: Option<Value>,
}

/// Options for starting a server.
#[derive(Default)]
pub struct Start<'a> {
    /// The encodings the client offers (none: the protocol's default).
    pub encodings: Option<&'a [&'a str]>,
    /// Extra initialization options.
    pub options: Option<Value>,
    /// Whether the client supports snippets (default true).
    pub no_snippets: bool,
    /// Whether the client cannot resolve an item's documentation later
    /// (default: it can).
    pub no_resolve: bool,
    /// Settings the client answers `workspace/configuration` with (the
    /// `compel` section); without them the client does not offer it.
    pub settings: Option<Value>,
    /// Another `compel` binary to start instead of this build's (the
    /// latency benchmark times an older build with the same requests).
    pub binary: Option<PathBuf>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create workspace");
    for entry in std::fs::read_dir(from).expect("fixture folder").flatten() {
        let p = entry.path();
        let target = to.join(entry.file_name());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).expect("copy fixture file");
        }
    }
}

/// A `file://` URI for an absolute path.
pub fn file_uri(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let s = if s.starts_with('/') { s } else { format!("/{s}") };
    format!("file://{}", s.replace(' ', "%20"))
}

impl Server {
    /// Starts a server in a fresh copy of `tests/fixtures/lsp/<fixture>`
    /// (an empty workspace when `fixture` is empty) and initializes it.
    pub fn start(fixture: &str, opts: Start<'_>) -> Server {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!(
            "compel-lsp-test-{}-{}-{n}",
            std::process::id(),
            if fixture.is_empty() { "empty" } else { fixture }
        ));
        let _ = std::fs::remove_dir_all(&root);
        if fixture.is_empty() {
            std::fs::create_dir_all(&root).expect("create workspace");
        } else {
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lsp").join(fixture);
            copy_dir(&src, &root);
        }
        let binary = opts.binary.clone().unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_compel")));
        let mut child = Command::new(binary)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start compel lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        length = v.trim().parse::<usize>().ok();
                    }
                }
                let Some(length) = length else { return };
                let mut body = vec![0u8; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let Ok(value) = serde_json::from_slice::<Value>(&body) else { return };
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        let root_uri = file_uri(&root);
        let mut server = Server {
            child,
            stdin: Some(stdin),
            rx,
            next_id: 0,
            queue: VecDeque::new(),
            root,
            root_uri,
            encoding: String::new(),
            capabilities: Value::Null,
            settings: opts.settings.clone(),
        };
        let mut general = json!({});
        if let Some(enc) = opts.encodings {
            general = json!({ "positionEncodings": enc });
        }
        let init = server.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": server.root_uri,
                "workspaceFolders": [{ "uri": server.root_uri, "name": "ws" }],
                "initializationOptions": opts.options.unwrap_or(json!({})),
                "capabilities": {
                    "general": general,
                    "textDocument": {
                        "completion": { "completionItem": {
                            "snippetSupport": !opts.no_snippets,
                            "resolveSupport": { "properties": if opts.no_resolve { json!([]) } else { json!(["documentation"]) } }
                        } },
                        "publishDiagnostics": { "relatedInformation": true, "versionSupport": true }
                    },
                    "workspace": {
                        "didChangeWatchedFiles": { "dynamicRegistration": true },
                        "configuration": server.settings.is_some()
                    }
                }
            }),
        );
        server.encoding = init["capabilities"]["positionEncoding"].as_str().unwrap_or("utf-16").to_string();
        server.capabilities = init["capabilities"].clone();
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, msg: &Value) {
        let body = serde_json::to_string(msg).expect("serialise");
        let stdin = self.stdin.as_mut().expect("the server's stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write to server");
        stdin.flush().expect("flush");
    }

    /// Receives the next message, answering the server's own requests.
    fn recv(&mut self, what: &str) -> Value {
        loop {
            let msg = match self.rx.recv_timeout(TIMEOUT) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for {what}"),
                Err(RecvTimeoutError::Disconnected) => panic!("the server exited while waiting for {what}"),
            };
            if msg.get("method").is_some() && msg.get("id").is_some() {
                // A request from the server (registerCapability ...).
                let result = match (&self.settings, msg["method"].as_str()) {
                    (Some(settings), Some("workspace/configuration")) => json!([settings]),
                    _ => Value::Null,
                };
                let reply = json!({ "jsonrpc": "2.0", "id": msg["id"], "result": result });
                self.send(&reply);
                continue;
            }
            return msg;
        }
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        if !params.is_null() {
            msg["params"] = params;
        }
        self.send(&msg);
        loop {
            let msg = self.recv(method);
            if msg.get("id") == Some(&json!(id)) {
                return msg;
            }
            self.queue.push_back(msg);
        }
    }

    /// Sends a request without waiting; returns its id.
    pub fn start_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Waits for the response to request `id`.
    pub fn response(&mut self, id: i64) -> Value {
        loop {
            let msg = self.recv("a response");
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return msg;
            }
            self.queue.push_back(msg);
        }
    }

    /// Sends a request and returns its result; panics on an error.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        if let Some(err) = response.get("error") {
            panic!("{method} failed: {err}");
        }
        response["result"].clone()
    }

    /// Sends a notification.
    pub fn notify(&mut self, method: &str, params: Value) {
        let mut msg = json!({ "jsonrpc": "2.0", "method": method });
        if !params.is_null() {
            msg["params"] = params;
        }
        self.send(&msg);
    }

    /// Waits for a notification matching `pred`, consuming it (and keeping
    /// the others queued).
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.queue.iter().position(&pred) {
            return self.queue.remove(i).expect("present");
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            let msg = self.recv(what);
            if pred(&msg) {
                return msg;
            }
            self.queue.push_back(msg);
        }
    }

    /// Waits for diagnostics of `uri` (with `version`, when given); returns
    /// the `params` of the notification. Earlier ones for the same file are
    /// dropped.
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Value {
        let uri = uri.to_string();
        let msg = self.wait_for(&format!("diagnostics of {uri} (version {version:?})"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri.as_str()
                && version.is_none_or(|v| m["params"]["version"] == v)
        });
        msg["params"].clone()
    }

    /// The notifications received so far with this method, consumed.
    pub fn take(&mut self, method: &str) -> Vec<Value> {
        while let Ok(m) = self.rx.try_recv() {
            self.queue.push_back(m);
        }
        let (taken, kept): (Vec<Value>, Vec<Value>) = self.queue.drain(..).partition(|m| m["method"] == method);
        self.queue = kept.into();
        taken
    }

    /// Forgets the notifications received so far.
    pub fn drain(&mut self) {
        while let Ok(m) = self.rx.try_recv() {
            self.queue.push_back(m);
        }
        self.queue.clear();
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The URI of a file of the workspace.
    pub fn uri(&self, rel: &str) -> String {
        format!("{}/{rel}", self.root_uri)
    }

    /// The text of a file of the workspace.
    pub fn text(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).expect("fixture file")
    }

    /// Opens a workspace file in the editor (version 1); returns its URI.
    pub fn open(&mut self, rel: &str) -> String {
        let text = self.text(rel);
        self.open_text(rel, &text)
    }

    /// Opens a document with this text (version 1); returns its URI.
    pub fn open_text(&mut self, rel: &str, text: &str) -> String {
        let uri = self.uri(rel);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "compel", "version": 1, "text": text } }),
        );
        uri
    }

    /// Closes a document in the editor.
    pub fn close(&mut self, uri: &str) {
        self.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    }

    /// Writes a workspace file on disk (the editor does not see it).
    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.root.join(rel), text).expect("write workspace file");
    }

    /// Tells the server that watched files changed on disk: `(URI, type)`
    /// with the protocol's types (1 created, 2 changed, 3 deleted).
    pub fn files_changed(&mut self, changes: &[(&str, u8)]) {
        let changes: Vec<Value> = changes.iter().map(|(uri, typ)| json!({ "uri": uri, "type": typ })).collect();
        self.notify("workspace/didChangeWatchedFiles", json!({ "changes": changes }));
    }

    /// Replaces a range (LSP positions) with `text` in document `uri`.
    pub fn edit(&mut self, uri: &str, version: i64, range: Value, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": range, "text": text }]
            }),
        );
    }

    /// The position of the `n`th occurrence of `needle` in `text`, plus
    /// `within` bytes, in the server's encoding.
    pub fn pos(&self, text: &str, needle: &str, n: usize, within: usize) -> Value {
        let at = text
            .match_indices(needle)
            .nth(n)
            .map(|(i, _)| i + within)
            .unwrap_or_else(|| panic!("`{needle}` #{n} not in text"));
        position(text, at, &self.encoding)
    }

    /// Replaces the workspace root and the materialised stdlib folder in
    /// every string of `v`, so answers can be snapshotted.
    pub fn normalise(&self, v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(normalise_str(&s, &self.root_uri)),
            Value::Array(a) => Value::Array(a.into_iter().map(|x| self.normalise(x)).collect()),
            Value::Object(o) => Value::Object(
                o.into_iter().map(|(k, x)| (normalise_str(&k, &self.root_uri), self.normalise(x))).collect(),
            ),
            other => other,
        }
    }
}

fn normalise_str(s: &str, root_uri: &str) -> String {
    let s = s.replace(root_uri, "file:///WORKSPACE");
    // The stdlib and explanations live in a per-version temp folder.
    for marker in ["/std/", "/explain/"] {
        if let (true, Some(at)) = (s.starts_with("file://"), s.find(marker)) {
            if s[..at].contains("/compel-") {
                return format!("file:///COMPEL{}", &s[at..]);
            }
        }
    }
    s
}

/// The LSP position of byte `offset` in `text` under `encoding`.
pub fn position(text: &str, offset: usize, encoding: &str) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = match encoding {
        "utf-8" => offset - line_start,
        _ => before[line_start..].chars().map(char::len_utf16).sum(),
    };
    json!({ "line": line, "character": col })
}

/// Applies LSP text edits (in `encoding`) to `text`.
pub fn apply_edits(text: &str, edits: &[Value], encoding: &str) -> String {
    let offset = |p: &Value| -> usize {
        let line = p["line"].as_u64().expect("line") as usize;
        let ch = p["character"].as_u64().expect("character") as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let line_text = text[start..].split('\n').next().unwrap_or("");
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            if units >= ch {
                return start + i;
            }
            units += if encoding == "utf-8" { c.len_utf8() } else { c.len_utf16() };
        }
        start + line_text.len()
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().expect("text").to_string())
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (s, e, t) in spans {
        out.replace_range(s..e, &t);
    }
    out
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Shuts the server down politely and returns its exit code.
pub fn shutdown(mut server: Server) -> Option<i32> {
    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
    // Closing stdin ends the server's read loop.
    drop(server.stdin.take());
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            return status.code();
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
