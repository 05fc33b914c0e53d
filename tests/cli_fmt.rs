//! End-to-end tests of `compel fmt`: the real binary on files in a temporary
//! folder and on standard input.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn compel_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn compel_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_compel"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
    child.wait_with_output().expect("the binary finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh, empty folder of its own for one test.
fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("compel-cli-fmt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

const MESSY: &str = "// accuracy of the model\nkpi   accuracy{metric \"acc\"   target>=92%  // the bar\n\n\n}\n\n\n\nprogram p{ sponsor  d }\n";
const CANONICAL: &str = "// accuracy of the model\nkpi accuracy {\n  metric \"acc\"\n  target >= 92%  // the bar\n}\n\nprogram p {\n  sponsor d\n}\n";

const BROKEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fmt/error/missing_brace.compel");

#[test]
fn a_messy_file_is_rewritten_in_place() {
    let dir = tempdir("rewrite");
    let f = dir.join("messy.compel");
    std::fs::write(&f, MESSY).expect("write");
    let o = compel_in(&dir, &["fmt", "messy.compel"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8(read(&f)).unwrap(), CANONICAL);
    assert_eq!(stdout(&o), "", "rewriting prints nothing on stdout");
    assert!(stderr(&o).contains("formatted 1 file"), "{}", stderr(&o));

    // Running again changes nothing and says nothing.
    let o = compel_in(&dir, &["fmt", "messy.compel"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8(read(&f)).unwrap(), CANONICAL);
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_folder_is_formatted_file_by_file() {
    let dir = tempdir("folder");
    std::fs::create_dir_all(dir.join("sub")).expect("sub");
    std::fs::write(dir.join("a.compel"), MESSY).expect("write");
    std::fs::write(dir.join("sub/b.compel"), MESSY).expect("write");
    std::fs::write(dir.join("notes.txt"), MESSY).expect("write");
    let o = compel_in(&dir, &["fmt", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8(read(&dir.join("a.compel"))).unwrap(), CANONICAL);
    assert_eq!(String::from_utf8(read(&dir.join("sub/b.compel"))).unwrap(), CANONICAL);
    assert_eq!(String::from_utf8(read(&dir.join("notes.txt"))).unwrap(), MESSY, "only .compel files are touched");
    assert!(stderr(&o).contains("formatted 2 files"), "{}", stderr(&o));
}

#[test]
fn check_lists_the_files_that_would_change_and_rewrites_nothing() {
    let dir = tempdir("check");
    std::fs::write(dir.join("messy1.compel"), MESSY).expect("write");
    std::fs::write(dir.join("messy2.compel"), MESSY.replace('\n', "\r\n")).expect("write");
    std::fs::write(dir.join("clean.compel"), CANONICAL).expect("write");
    let before: Vec<Vec<u8>> =
        ["messy1.compel", "messy2.compel", "clean.compel"].iter().map(|n| read(&dir.join(n))).collect();

    let o = compel_in(&dir, &["fmt", "--check", "messy1.compel", "clean.compel", "messy2.compel"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let listed: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(listed, ["messy1.compel", "messy2.compel"], "stdout: {}", stdout(&o));

    let after: Vec<Vec<u8>> =
        ["messy1.compel", "messy2.compel", "clean.compel"].iter().map(|n| read(&dir.join(n))).collect();
    assert_eq!(after, before, "--check must leave every file byte-identical");
}

#[test]
fn check_on_formatted_files_exits_0() {
    let dir = tempdir("check-clean");
    std::fs::write(dir.join("clean.compel"), CANONICAL).expect("write");
    let acme = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/acme");
    for args in [&["fmt", "--check", "clean.compel"][..], &["fmt", "--check", acme], &["fmt", "--check", "."]] {
        let o = compel_in(&dir, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}{}", stdout(&o), stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}");
    }
    assert_eq!(String::from_utf8(read(&dir.join("clean.compel"))).unwrap(), CANONICAL);
}

#[test]
fn dash_formats_stdin_to_stdout() {
    let o = compel_stdin(&["fmt", "-"], MESSY.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), CANONICAL);
    assert_eq!(stderr(&o), "");

    let o = compel_stdin(&["fmt", "-"], CANONICAL.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), CANONICAL);
}

#[test]
fn dash_with_a_syntax_error_prints_nothing_on_stdout() {
    let o = compel_stdin(&["fmt", "-"], &read(Path::new(BROKEN)));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "a broken input must not be echoed as if formatted");
    let err = stderr(&o);
    assert!(err.contains("error[E0101]"), "{err}");
    assert!(err.contains("<stdin>:3:12"), "{err}");
}

#[test]
fn a_file_with_a_syntax_error_is_never_rewritten() {
    let dir = tempdir("broken");
    let original = read(Path::new(BROKEN));
    // Messy around the error too, so a partial rewrite would show.
    let messy_broken = [b"kpi   z{metric \"z\"   target>=1}\n\n\n".as_slice(), &original].concat();
    std::fs::write(dir.join("broken.compel"), &messy_broken).expect("write");
    std::fs::write(dir.join("messy.compel"), MESSY).expect("write");

    for check in [true, false] {
        let mut args = vec!["fmt", "broken.compel"];
        if check {
            args.push("--check");
        }
        let o = compel_in(&dir, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert_eq!(read(&dir.join("broken.compel")), messy_broken, "{args:?} touched the broken file");
        let err = stderr(&o);
        assert!(err.contains("error[E0101]: expected an expression, found the end of the line"), "{err}");
        // The fixture's error ends its line 3; three lines are prepended.
        assert!(err.contains("broken.compel:6:12"), "{err}");
        assert!(err.contains("was not formatted"), "{err}");
        assert_eq!(stdout(&o), "", "{args:?}");
    }

    // Given together with a good file: the good one is still formatted, the
    // broken one left alone, and the exit code says something went wrong.
    let o = compel_in(&dir, &["fmt", "."]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(read(&dir.join("broken.compel")), messy_broken);
    assert_eq!(String::from_utf8(read(&dir.join("messy.compel"))).unwrap(), CANONICAL);
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let dir = tempdir("missing");
    let o = compel_in(&dir, &["fmt", "nowhere.compel"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nowhere.compel"), "{}", stderr(&o));
}

#[test]
fn check_with_dash_prints_no_text_and_says_whether_stdin_would_change() {
    let run = |input: &str| compel_stdin(&["fmt", "--check", "-"], input.as_bytes());
    let o = run(MESSY);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), "<stdin>\n");
    let o = run(CANONICAL);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}
