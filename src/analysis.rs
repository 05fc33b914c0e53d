//! The one entry point: files in, parse + check + diagnostics out.
//!
//! `compel check`, `compel eval`, the test runner and the language server
//! all call [`analyze`]. The host gives file access through a
//! [`SourceLoader`]; nothing in here touches the file system itself.

use std::collections::{BTreeMap, HashMap};

use crate::check::{self, Model};
use crate::diag::{self, Code, Diagnostic};
use crate::stdlib;
use crate::syntax::{self, ast, ParseLimits};
use crate::text::{FileId, Files, SourceFile, Span};

/// Gives the analysis the text of a file by path.
pub trait SourceLoader {
    /// The text at `path` (a normalised path with `/` separators), or a
    /// plain-words reason why it cannot be read.
    fn load(&self, path: &str) -> Result<String, String>;

    /// The raw bytes at `path`. Hosts that read files should override this
    /// so text that is not UTF-8 gets a diagnostic at the first bad byte
    /// instead of a read error.
    fn load_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.load(path).map(String::into_bytes)
    }

    /// Whether a policy may import `path`. Hosts that read a real file
    /// system confine imports to the project (see `docs/security.md`), so an
    /// untrusted policy cannot make compel read `/etc/passwd`. The default
    /// allows everything the loader can load.
    fn import_allowed(&self, path: &str) -> Result<(), String> {
        let _ = path;
        Ok(())
    }
}

/// A loader over files held in memory, for hosts that keep their own
/// sources (and for tests).
///
/// ```
/// use compel::analysis::{analyze, MemoryLoader};
/// let mut files = MemoryLoader::default();
/// files.insert("people.compel", "person dana { name \"Dana\" role CFO }");
/// let analysis = analyze(&["people.compel".to_string()], &files);
/// assert!(analysis.diagnostics.is_empty());
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryLoader {
    files: BTreeMap<String, String>,
}

impl MemoryLoader {
    /// Adds or replaces a file.
    pub fn insert(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.files.insert(normalize_path(&path.into()), text.into());
    }
}

impl SourceLoader for MemoryLoader {
    fn load(&self, path: &str) -> Result<String, String> {
        self.files.get(path).cloned().ok_or_else(|| "no such file".to_string())
    }
}

/// The result of analysing a set of files.
#[derive(Debug)]
pub struct Analysis {
    /// Every loaded file: the stdlib's, the roots, and what they import.
    pub files: Files,
    /// The parsed form of each file, indexed by `FileId`.
    pub asts: Vec<ast::File>,
    /// The files each file imports directly (resolved), indexed by `FileId`.
    pub imports: Vec<Vec<FileId>>,
    /// The files given as roots, in order.
    pub roots: Vec<FileId>,
    /// The checked model: declarations, gates, policies, scopes.
    pub model: Model,
    /// Every diagnostic, sorted by file and position, deduplicated.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Diagnostics outside the stdlib (the stdlib is tested to check clean,
    /// but a user never needs to see its internals).
    pub fn user_diagnostics(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !stdlib::is_std_path(&self.files.get(d.primary.file).path))
    }
}

/// Normalises a path lexically: `/` separators, no `.` parts, `..` folded
/// where possible.
pub fn normalize_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(p) if *p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Resolves an import written in `importer` to a normalised path.
pub fn resolve_import(importer: &str, written: &str) -> String {
    if stdlib::is_std_path(written) {
        return stdlib::display_path(written);
    }
    if written.starts_with('/') {
        return normalize_path(written);
    }
    let dir = match importer.rfind('/') {
        Some(i) => &importer[..i],
        None => "",
    };
    if dir.is_empty() {
        normalize_path(written)
    } else {
        normalize_path(&format!("{dir}/{written}"))
    }
}

/// Whether a normalised `path` lies inside the normalised folder `root`
/// (`""` is the working directory: every relative path that does not climb
/// out of it).
pub fn is_inside(path: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    if root.is_empty() {
        return !(path == ".." || path.starts_with("../") || path.starts_with('/'));
    }
    path == root || path.starts_with(&format!("{root}/"))
}

/// A policy set that governs the files of a project without an import: the
/// `[project] policies` of `compel.toml`. Each file it governs sees the set
/// (and what the set imports) as if it imported it, so the set's policies
/// and top-level gates apply to the file's subjects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySet {
    /// The set: a stdlib module (`std/policies`) or a normalised path the
    /// loader reads.
    pub path: String,
    /// The folder whose files it governs (normalised), or `None` for every
    /// file analysed.
    pub governs: Option<String>,
}

impl PolicySet {
    /// Whether the set governs the file at `path`. The stdlib is never
    /// governed.
    pub fn governs(&self, path: &str) -> bool {
        !stdlib::is_std_path(path) && self.governs.as_deref().is_none_or(|root| is_inside(path, root))
    }
}

/// What an analysis needs besides the files: the parser's limits and the
/// project's policy sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The parser's limits.
    pub limits: ParseLimits,
    /// The policy sets that govern files without an import.
    pub policy_sets: Vec<PolicySet>,
    /// Whether the model records every resolved name for the editor
    /// ([`check::Options::references`]); on by default. The command line
    /// turns it off: it never reads them, and they are a sixth of the
    /// memory a large check holds.
    pub references: bool,
    /// Whether the check ends with the static evaluation of policies and
    /// gates ([`check::Options::static_verdicts`]); on by default.
    pub static_verdicts: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { limits: ParseLimits::default(), policy_sets: Vec::new(), references: true, static_verdicts: true }
    }
}

/// Analyses `roots` (normalised paths the loader can read) and everything
/// they import, plus the stdlib.
pub fn analyze(roots: &[String], loader: &dyn SourceLoader) -> Analysis {
    analyze_with(roots, loader, ParseLimits::default())
}

/// [`analyze`] within a project: its limits, and its policy sets governing
/// every file they name.
pub fn analyze_project(roots: &[String], loader: &dyn SourceLoader, settings: &Settings) -> Analysis {
    analyze_project_with_parser(roots, loader, settings, &mut syntax::parse)
}

/// [`analyze`] with explicit parser limits.
pub fn analyze_with(roots: &[String], loader: &dyn SourceLoader, limits: ParseLimits) -> Analysis {
    analyze_with_parser(roots, loader, limits, &mut syntax::parse)
}

/// How a file is parsed: [`syntax::parse`], or a host's cache around it (the
/// language server re-parses only the declarations an edit touched). It
/// must return what `syntax::parse` would.
pub type ParseFn<'p> = dyn FnMut(FileId, &str, ParseLimits) -> (ast::File, Vec<Diagnostic>) + 'p;

/// [`analyze_with`] with the parser supplied by the host.
pub fn analyze_with_parser(
    roots: &[String],
    loader: &dyn SourceLoader,
    limits: ParseLimits,
    parse: &mut ParseFn<'_>,
) -> Analysis {
    analyze_project_with_parser(roots, loader, &Settings { limits, ..Settings::default() }, parse)
}

/// [`analyze_project`] with the parser supplied by the host.
pub fn analyze_project_with_parser(
    roots: &[String],
    loader: &dyn SourceLoader,
    settings: &Settings,
    parse: &mut ParseFn<'_>,
) -> Analysis {
    analyze_project_with_host(roots, loader, settings, parse, &mut check::check_with)
}

/// How the parsed files are checked: [`check::check_with`], or a host's
/// check that reuses the previous one's results (the language server
/// re-checks only what an edit can affect). It must return what
/// `check::check_with` would.
pub type CheckFn<'c> =
    dyn FnMut(&Files, &[ast::File], Vec<Vec<FileId>>, check::Options) -> (check::Model, Vec<Diagnostic>) + 'c;

/// [`analyze_project`] with the parser and the check supplied by the host.
pub fn analyze_project_with_host(
    roots: &[String],
    loader: &dyn SourceLoader,
    settings: &Settings,
    parse: &mut ParseFn<'_>,
    check: &mut CheckFn<'_>,
) -> Analysis {
    let limits = settings.limits;
    let mut loading =
        Loading { files: Files::new(), asts: Vec::new(), imports: Vec::new(), diags: Vec::new(), limits, parse };
    for name in stdlib::PRELUDE {
        loading.load_std(name);
    }
    let mut root_ids = Vec::new();
    for root in roots {
        let path = normalize_path(root);
        if let Some(id) = loading.load_path(&path, loader, None) {
            if !root_ids.contains(&id) {
                root_ids.push(id);
            }
        }
    }
    let mut sets = Vec::new();
    for set in &settings.policy_sets {
        if let Some(id) = loading.load_path(&normalize_path(&set.path), loader, None) {
            sets.push((id, set));
        }
    }
    loading.report_cycles();
    let Loading { files, asts, imports, mut diags, .. } = loading;
    let mut visible = visible_files(&files, &imports);
    govern_by_sets(&files, &sets, &mut visible);
    let options = check::Options { references: settings.references, static_verdicts: settings.static_verdicts };
    let (model, check_diags) = check(&files, &asts, visible, options);
    diags.extend(check_diags);
    hold_unknown_names(&asts, &model.visible, &mut diags);
    diag::sort(&mut diags);
    diags.dedup();
    Analysis { files, asts, imports, roots: root_ids, model, diagnostics: diags }
}

/// A declaration whose header does not parse, or an import that does not,
/// may be what an unknown name means (`program fraud_ai {` being typed), or
/// the import that governs the file (`import "std/policies"` being typed):
/// while a file sees such an item, its unknown names and its being governed
/// by nothing (E0710) are not reported; the item's own syntax error is.
fn hold_unknown_names(asts: &[ast::File], visible: &[Vec<FileId>], diags: &mut Vec<Diagnostic>) {
    let unsettled: Vec<bool> = asts.iter().map(|a| a.items.iter().any(|i| matches!(i, ast::Item::Error(_)))).collect();
    if !unsettled.contains(&true) {
        return;
    }
    diags.retain(|d| {
        !matches!(d.code, Code::UnknownName | Code::Ungoverned)
            || !visible.get(d.primary.file.0 as usize).is_some_and(|v| v.iter().any(|f| unsettled[f.0 as usize]))
    });
}

struct Loading<'p, 'q> {
    files: Files,
    asts: Vec<ast::File>,
    imports: Vec<Vec<FileId>>,
    diags: Vec<Diagnostic>,
    limits: ParseLimits,
    parse: &'p mut ParseFn<'q>,
}

impl Loading<'_, '_> {
    fn add(&mut self, path: String, text: String) -> FileId {
        let id = self.files.add(SourceFile::new(path, text));
        let (ast, diags) = (self.parse)(id, &self.files.get(id).text, self.limits);
        self.diags.extend(diags);
        self.asts.push(ast);
        self.imports.push(Vec::new());
        id
    }

    fn load_std(&mut self, name: &str) -> Option<FileId> {
        let path = stdlib::display_path(name);
        if let Some(id) = self.files.find(&path) {
            return Some(id);
        }
        let text = stdlib::module(name)?;
        let id = self.add(path, text.to_string());
        self.load_imports(id, &NoFiles);
        Some(id)
    }

    /// Loads a file and, recursively, its imports. `from` is the import
    /// that asked for it (for the error location).
    fn load_path(&mut self, path: &str, loader: &dyn SourceLoader, from: Option<(FileId, Span)>) -> Option<FileId> {
        if let Some(id) = self.files.find(path) {
            return Some(id);
        }
        if stdlib::is_std_path(path) {
            let name = path.strip_suffix(".compel").unwrap_or(path);
            if let Some(id) = self.load_std(name) {
                return Some(id);
            }
            if let Some((file, span)) = from {
                let names: Vec<&str> = stdlib::MODULES.iter().map(|(n, _)| *n).collect();
                let mut d =
                    Diagnostic::at(Code::ImportNotFound, file, span, format!("there is no stdlib module `{name}`"));
                d = match diag::did_you_mean(name, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!("the stdlib modules are {}", names.join(", "))),
                };
                self.diags.push(d);
            }
            return None;
        }
        if let (Some((file, span)), Err(reason)) = (from, loader.import_allowed(path)) {
            self.diags.push(
                Diagnostic::at(Code::ImportOutsideProject, file, span, format!("cannot import `{path}`: {reason}"))
                    .with_primary_label("imported here")
                    .with_help(
                        "imports stay inside the project: the folder with `compel.toml`, or the folder given to compel",
                    ),
            );
            return None;
        }
        let text = match loader.load_bytes(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    let offset = e.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let id = self.files.add(SourceFile::new(path.to_string(), text));
                    self.asts.push(ast::File::default());
                    self.imports.push(Vec::new());
                    let at = crate::text::clamp_to_char_boundary(&self.files.get(id).text, offset);
                    self.diags.push(
                        Diagnostic::at(Code::NotUtf8, id, Span::new(at, at + 1), "this file is not valid UTF-8")
                            .with_primary_label(format!("byte {offset} is not valid UTF-8"))
                            .with_help("save the file as UTF-8"),
                    );
                    return Some(id);
                }
            },
            Err(reason) => {
                if let Some((file, span)) = from {
                    self.diags.push(
                        Diagnostic::at(Code::ImportNotFound, file, span, format!("cannot import `{path}`: {reason}"))
                            .with_primary_label("imported here"),
                    );
                } else {
                    // A root that cannot be read: the host reports it; keep
                    // an empty file so positions still make sense.
                    let id = self.add(path.to_string(), String::new());
                    self.diags.push(Diagnostic::at(
                        Code::UnreadableInput,
                        id,
                        Span::default(),
                        format!("cannot read `{path}`: {reason}"),
                    ));
                    return Some(id);
                }
                return None;
            }
        };
        let id = self.add(path.to_string(), text);
        self.load_imports(id, loader);
        Some(id)
    }

    fn load_imports(&mut self, id: FileId, loader: &dyn SourceLoader) {
        let importer = self.files.get(id).path.clone();
        let wanted: Vec<(String, Span)> = self.asts[id.0 as usize]
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Import(i) => Some((resolve_import(&importer, &i.path.value), i.path.span)),
                _ => None,
            })
            .collect();
        let mut resolved = Vec::new();
        for (path, span) in wanted {
            if let Some(target) = self.load_path(&path, loader, Some((id, span))) {
                resolved.push(target);
            }
        }
        self.imports[id.0 as usize] = resolved;
    }

    /// Reports each import cycle once, at the import that closes it.
    fn report_cycles(&mut self) {
        let n = self.files.len();
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut stack: Vec<FileId> = Vec::new();
        for start in 0..n {
            if state[start] == 0 {
                self.visit(FileId(start as u32), &mut state, &mut stack);
            }
        }
    }

    fn visit(&mut self, id: FileId, state: &mut [u8], stack: &mut Vec<FileId>) {
        state[id.0 as usize] = 1;
        stack.push(id);
        for target in self.imports[id.0 as usize].clone() {
            match state[target.0 as usize] {
                0 => self.visit(target, state, stack),
                1 => {
                    let pos = stack.iter().position(|f| *f == target).unwrap_or(0);
                    let mut names: Vec<String> = stack[pos..].iter().map(|f| self.files.get(*f).path.clone()).collect();
                    names.push(self.files.get(target).path.clone());
                    let span = self.import_span(id, target).unwrap_or_default();
                    self.diags.push(
                        Diagnostic::at(Code::ImportCycle, id, span, format!("import cycle: {}", names.join(" -> ")))
                            .with_primary_label("this import closes the cycle")
                            .with_help("move the shared declarations into a file that both import"),
                    );
                    // Break the cycle so later passes see a tree.
                    self.imports[id.0 as usize].retain(|t| *t != target);
                }
                _ => {}
            }
        }
        stack.pop();
        state[id.0 as usize] = 2;
    }

    fn import_span(&self, from: FileId, target: FileId) -> Option<Span> {
        let importer = &self.files.get(from).path;
        let target_path = &self.files.get(target).path;
        self.asts[from.0 as usize].items.iter().find_map(|item| match item {
            ast::Item::Import(i) if &resolve_import(importer, &i.path.value) == target_path => Some(i.path.span),
            _ => None,
        })
    }
}

struct NoFiles;

impl SourceLoader for NoFiles {
    fn load(&self, _path: &str) -> Result<String, String> {
        Err("the stdlib imports only the stdlib".to_string())
    }
}

/// Each file a policy set governs sees the set and everything the set sees,
/// as if it imported it.
fn govern_by_sets(files: &Files, sets: &[(FileId, &PolicySet)], visible: &mut [Vec<FileId>]) {
    if sets.is_empty() {
        return;
    }
    for (i, file) in files.iter() {
        let mut seen = visible[i.0 as usize].clone();
        for (set, how) in sets {
            if how.governs(&file.path) {
                seen.extend(visible[set.0 as usize].iter().copied());
            }
        }
        seen.sort();
        seen.dedup();
        visible[i.0 as usize] = seen;
    }
}

/// The files visible from each file: itself, its transitive imports and the
/// prelude, indexed by `FileId`.
pub fn visible_files(files: &Files, imports: &[Vec<FileId>]) -> Vec<Vec<FileId>> {
    let prelude: Vec<FileId> =
        stdlib::PRELUDE.iter().filter_map(|name| files.find(&stdlib::display_path(name))).collect();
    let mut memo: HashMap<FileId, Vec<FileId>> = HashMap::new();
    (0..files.len())
        .map(|i| {
            let id = FileId(i as u32);
            let mut seen = vec![id];
            let mut todo = vec![id];
            while let Some(f) = todo.pop() {
                if let Some(done) = memo.get(&f) {
                    for v in done {
                        if !seen.contains(v) {
                            seen.push(*v);
                        }
                    }
                    continue;
                }
                for t in &imports[f.0 as usize] {
                    if !seen.contains(t) {
                        seen.push(*t);
                        todo.push(*t);
                    }
                }
            }
            for p in &prelude {
                if !seen.contains(p) {
                    seen.push(*p);
                }
            }
            seen.sort();
            memo.insert(id, seen.clone());
            seen
        })
        .collect()
}
