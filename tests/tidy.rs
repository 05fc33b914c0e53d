//! Tidy: rules about the code base itself, checked on every `cargo test`.
//!
//! - every diagnostic code has a long explanation, a fixture that expects
//!   it (E0105, an unreadable input, an end-to-end test instead), and is
//!   emitted somewhere in `src/`;
//! - the module graph of `src/` has no cycle, and every arrow follows the
//!   layering table of ARCHITECTURE.md (`use` trees read properly, paths
//!   written inline too, test items skipped: `tidy_support`);
//! - the core (the modules ARCHITECTURE.md lists as doing no I/O) names no
//!   file system, network, process, environment, clock or terminal, and no
//!   front end's crate;
//! - only `src/syntax/parser/` names pest's parse tree;
//! - no file of `src/` over 700 lines and no function over 100, except
//!   today's offenders listed in `SIZE_ALLOWED` at their current size
//!   (so they cannot grow; the list empties as they are split).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod tidy_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use compel::diag::Code;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).expect("readable")).into_owned()
}

#[test]
fn every_code_is_explained_tested_and_emitted() {
    let mut fixtures = Vec::new();
    files_under(&root().join("tests/fixtures"), "compel", &mut fixtures);
    let fixture_text: String = fixtures.iter().map(|p| read(p)).collect();
    let mut sources = Vec::new();
    files_under(&root().join("src"), "rs", &mut sources);
    let src_text: String = sources.iter().filter(|p| !p.ends_with("diag/codes.rs")).map(|p| read(p)).collect();
    for code in Code::ALL {
        assert!(code.explanation().len() > 80, "{} has no real explanation", code.as_str());
        if *code == Code::UnreadableInput {
            // No fixture can be unreadable: the end-to-end tests make the
            // input (a missing path, a file that fails to read) and assert
            // the code for every command.
            let e2e = read(&root().join("tests/ci_outputs.rs"));
            assert!(e2e.contains("\"E0105\""), "no end-to-end test expects E0105");
        } else {
            let header_mentions = fixture_text
                .lines()
                .filter_map(|l| l.strip_prefix("// expect:"))
                .any(|l| l.split_whitespace().any(|c| c == code.as_str()));
            assert!(header_mentions, "no fixture expects {}", code.as_str());
        }
        let variant = format!("Code::{:?}", code);
        assert!(src_text.contains(&variant), "{} ({variant}) is never emitted", code.as_str());
    }
}

/// The modules that do no I/O (see ARCHITECTURE.md).
const CORE: &[&str] =
    &["text", "diag", "syntax", "stdlib", "check", "eval", "analysis", "fmt", "ide", "compile", "testing", "junit"];

/// The top-level module of a file under `src/` (`check` for
/// `src/check/interp.rs`), and its module path (`["check", "interp"]`).
fn module_of(rel: &str) -> (String, Vec<String>) {
    let trimmed = rel.trim_end_matches(".rs");
    let mut path: Vec<String> = trimmed.split('/').map(str::to_string).collect();
    if path.last().is_some_and(|l| l == "mod") {
        path.pop();
    }
    (path[0].clone(), path)
}

/// The top-level module a path written in `module` names, if it is one of
/// ours: `crate::check::Model`, `super::super::eval::X`, `compel::cli::run`.
fn target_module(path: &str, module: &[String]) -> Option<String> {
    let segs: Vec<&str> = path.split("::").collect();
    match segs[0] {
        "crate" | "compel" => segs.get(1).map(|s| s.to_string()),
        "super" => {
            let ups = segs.iter().take_while(|s| **s == "super").count();
            let kept = module.len().checked_sub(ups)?;
            if kept == 0 {
                // Past the top: a top-level module, when it names one (a
                // file declared with `#[path]` one level deeper than its
                // place in the folder climbs one `super` more and stays in
                // its own module).
                let name = segs.get(ups)?;
                let src = root().join("src");
                (src.join(format!("{name}.rs")).is_file() || src.join(name).is_dir()).then(|| name.to_string())
            } else {
                Some(module[0].clone())
            }
        }
        _ => None,
    }
}

struct SourceFile {
    rel: String,
    text: String,
}

fn sources() -> Vec<SourceFile> {
    let mut files = Vec::new();
    files_under(&root().join("src"), "rs", &mut files);
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(root().join("src")).unwrap().to_string_lossy().replace('\\', "/");
            SourceFile { rel, text: read(&f) }
        })
        .collect()
}

/// The module graph: each top-level module and the modules it uses, with
/// one file and path that shows each arrow.
fn module_graph() -> BTreeMap<String, BTreeMap<String, String>> {
    let mut graph: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for f in sources() {
        // A module's unit tests in their own file count as its test items
        // do inside it (`paths_named` leaves those out): not at all.
        if f.rel == "lib.rs" || f.rel.ends_with("/tests.rs") {
            continue;
        }
        let (top, module) = module_of(&f.rel);
        let entry = graph.entry(top.clone()).or_default();
        for path in tidy_support::paths_named(&f.text) {
            if let Some(target) = target_module(&path, &module) {
                if target != top {
                    entry.entry(target).or_insert_with(|| format!("{}: {path}", f.rel));
                }
            }
        }
    }
    graph
}

/// ARCHITECTURE.md's layering table: each module and the modules it may use.
fn documented_layers() -> BTreeMap<String, BTreeSet<String>> {
    let doc = read(&root().join("ARCHITECTURE.md"));
    let section = doc.split("\n## Layering").nth(1).expect("ARCHITECTURE.md has a Layering section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut layers = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let names = |cell: &str| -> BTreeSet<String> {
            cell.split(',')
                .map(|n| n.trim().trim_matches('`').to_string())
                .filter(|n| !n.is_empty() && n != "—")
                .collect()
        };
        let module = cells[1].trim_matches('`').to_string();
        layers.insert(module, names(cells[2]));
    }
    assert!(!layers.is_empty(), "ARCHITECTURE.md's Layering section has no `| module | may use |` table");
    layers
}

/// A cycle of `graph`, if it has one, as the modules along it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                0 => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
                1 => {
                    let at = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn the_module_graph_has_no_cycle_and_follows_the_documented_layers() {
    let graph = module_graph();
    let plain: BTreeMap<String, BTreeSet<String>> =
        graph.iter().map(|(k, v)| (k.clone(), v.keys().cloned().collect())).collect();
    if let Some(cycle) = find_cycle(&plain) {
        let shown: Vec<String> =
            cycle.windows(2).map(|w| format!("{} -> {} ({})", w[0], w[1], graph[&w[0]][&w[1]])).collect();
        panic!("the modules form a cycle:\n  {}", shown.join("\n  "));
    }
    let layers = documented_layers();
    if let Some(cycle) = find_cycle(&layers) {
        panic!("ARCHITECTURE.md's layering allows a cycle: {}", cycle.join(" -> "));
    }
    let mut wrong = Vec::new();
    for (module, uses) in &graph {
        let Some(allowed) = layers.get(module) else {
            wrong.push(format!("`{module}` is not in ARCHITECTURE.md's layering table"));
            continue;
        };
        for (target, witness) in uses {
            if !allowed.contains(target) {
                wrong.push(format!("`{module}` uses `{target}` against ARCHITECTURE.md's direction ({witness})"));
            }
        }
    }
    for module in layers.keys() {
        if !graph.contains_key(module) {
            wrong.push(format!("ARCHITECTURE.md's layering names `{module}`, which is not a module of src/"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_core_does_no_io_and_knows_no_front_end() {
    // Substrings of the code (comments, strings and test items removed) ...
    let forbidden_text = ["SystemTime", "Instant::now", "println!", "eprintln!", "print!(", "eprint!(", "dbg!("];
    // ... and paths, however they are written (`use std::{fs}` too).
    let forbidden_paths = [
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "std::io::stdin",
        "std::io::stdout",
        "std::io::stderr",
        "std::time::SystemTime",
        "std::time::Instant",
        "clap",
        "tokio",
        "tower_lsp",
        "ureq",
        "libmimalloc_sys",
    ];
    for f in sources() {
        let (top, _) = module_of(&f.rel);
        // A module's unit tests in their own file (`#[cfg(test)] mod
        // tests;`) may do as they please, like test items inside a module.
        if !CORE.contains(&top.as_str()) || f.rel.ends_with("/tests.rs") {
            continue;
        }
        let code = tidy_support::without_test_items(&tidy_support::blank_comments_and_literals(&f.text));
        for word in forbidden_text {
            assert!(!code.contains(word), "src/{} uses `{word}`; the core does no I/O (see ARCHITECTURE.md)", f.rel);
        }
        for path in tidy_support::paths_named(&f.text) {
            for bad in forbidden_paths {
                let hit = path == bad || path.starts_with(&format!("{bad}::"));
                assert!(!hit, "src/{} names `{path}`; the core does no I/O and knows no front end", f.rel);
            }
        }
    }
}

#[test]
fn the_source_reader_sees_what_it_must() {
    let src = "use std::{fs, io::{self, Read as _}};\n\
               // use std::net::TcpStream;\n\
               const S: &str = \"std::process::exit\";\n\
               #[cfg(test)]\nmod tests { use std::env; }\n\
               fn after() { crate::check::check(); let c = '{'; }\n";
    let paths = tidy_support::paths_named(src);
    for want in ["std::fs", "std::io", "std::io::Read", "crate::check::check"] {
        assert!(paths.iter().any(|p| p == want), "{want} in {paths:?}");
    }
    for not in ["std::net::TcpStream", "std::process::exit", "std::env"] {
        assert!(!paths.iter().any(|p| p == not), "{not} in {paths:?}");
    }
    let fns = tidy_support::functions(
        "fn a() {\n    let s = \"}\";\n}\ntrait T { fn b(&self); }\nfn c(f: fn(u8) -> u8) -> Vec<u8> {\n}\n",
    );
    let shown: Vec<(String, usize)> = fns.iter().map(|f| (f.name.clone(), f.lines)).collect();
    assert_eq!(shown, [("a".to_string(), 3), ("c".to_string(), 2)]);
}

#[test]
fn only_the_parser_names_pest() {
    let mut files = Vec::new();
    files_under(&root().join("src"), "rs", &mut files);
    for f in files {
        if f.starts_with(root().join("src/syntax/parser")) {
            continue;
        }
        let text = read(&f);
        assert!(
            !text.contains("pest::") && !text.contains("Rule::"),
            "{} names pest; only src/syntax/parser/ may",
            f.display()
        );
    }
}

/// The most lines a file of `src/` may have.
const MAX_FILE_LINES: usize = 700;
/// The most lines a function may have, from `fn` to its closing brace.
const MAX_FN_LINES: usize = 100;

/// Today's offenders, each at its current size: it may shrink, never grow,
/// and leaves the list once it fits. `path` for a file, `path fn` for a
/// function. Splitting them empties this list.
const SIZE_ALLOWED: &[(&str, usize)] = &[];

#[test]
fn no_file_over_700_lines_and_no_function_over_100() {
    let allowed: BTreeMap<&str, usize> = SIZE_ALLOWED.iter().copied().collect();
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    let mut check = |key: String, size: usize, max: usize, what: &str| {
        if size <= max {
            if allowed.contains_key(key.as_str()) {
                wrong.push(format!("{key} now has {size} lines: take it off SIZE_ALLOWED"));
            }
            return;
        }
        seen.insert(key.clone());
        match allowed.get(key.as_str()) {
            Some(limit) if size <= *limit => {}
            Some(limit) => wrong.push(format!("{key}: {size} lines, grown past its allowed {limit}; split it")),
            None => wrong.push(format!("{key}: {size} lines, more than {max} for a {what}; split it")),
        }
    };
    for f in sources() {
        check(format!("src/{}", f.rel), f.text.lines().count(), MAX_FILE_LINES, "file");
        let mut longest: BTreeMap<String, usize> = BTreeMap::new();
        for func in tidy_support::functions(&f.text) {
            let e = longest.entry(func.name.clone()).or_default();
            *e = (*e).max(func.lines);
        }
        for (name, lines) in longest {
            check(format!("src/{} {name}", f.rel), lines, MAX_FN_LINES, "function");
        }
    }
    for key in allowed.keys() {
        if !seen.contains(*key) && !wrong.iter().any(|w| w.starts_with(key)) {
            wrong.push(format!("{key} is on SIZE_ALLOWED but no longer exists: take it off"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Unsafe code lives in one module: the binary's allocator
/// (`src/alloc.rs`). The library forbids it outright (`#![forbid]` in
/// `src/lib.rs`, which no `allow` can lift); the package's lint denies it
/// everywhere else, and this keeps an `allow` from creeping in beside the
/// allocator's, in the binary, the tests or the benchmarks.
#[test]
fn unsafe_code_is_allowed_in_the_allocator_alone() {
    let lib = read(&root().join("src/lib.rs"));
    assert!(lib.contains("#![forbid(unsafe_code)]"), "src/lib.rs forbids unsafe code");
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples"] {
        files_under(&root().join(dir), "rs", &mut files);
    }
    files.sort();
    let allowing: Vec<String> = files
        .iter()
        .filter(|f| read(f).contains(concat!("allow(", "unsafe_code)")))
        .map(|f| f.strip_prefix(root()).unwrap_or(f).to_string_lossy().replace('\\', "/"))
        .collect();
    assert_eq!(allowing, ["src/alloc.rs"], "only the allocator may allow unsafe code");
}
