//! `test` blocks checked: the names their assertions give (initiatives,
//! stages, KPIs, policies, subjects), the gates they assert, the outcome
//! words, and a `now` in every test.

use super::{Checker, Kind, Symbol};
use crate::diag::{self, Code, Diagnostic};
use crate::syntax::ast;
use crate::text::{FileId, FileSpan, Span};

impl Checker<'_> {
    /// Checks every `test` block of a file.
    pub(super) fn check_tests(&mut self, file: FileId, ast: &ast::File) {
        for item in &ast.items {
            if let ast::Item::Test(t) = item {
                self.check_test(file, t);
            }
        }
    }

    fn check_test(&mut self, file: FileId, t: &ast::Test) {
        let mut has_now = false;
        for s in &t.stmts {
            match s {
                ast::TestStmt::Now(_) => has_now = true,
                ast::TestStmt::ExpectGate { initiative, from, to, outcome, .. } => {
                    let ok = [
                        self.test_ref(file, initiative, Kind::Initiative),
                        self.test_ref(file, from, Kind::Stage),
                        self.test_ref(file, to, Kind::Stage),
                    ];
                    if ok.iter().all(|x| *x) {
                        self.test_gate_exists(file, initiative, from, to);
                    }
                    self.test_word(file, outcome, &["pass", "warn", "fail", "unknown"]);
                }
                ast::TestStmt::ExpectKpi { kpi, status, .. } => {
                    self.test_ref(file, kpi, Kind::Kpi);
                    self.test_word(file, status, &["met", "at_risk", "missed", "unknown"]);
                }
                ast::TestStmt::ExpectPolicy { policy, subject, outcome, .. } => {
                    let subject_kind = self.test_policy(file, policy);
                    self.test_subject(file, policy, subject, subject_kind);
                    self.test_word(file, outcome, &["pass", "warn", "fail", "unknown"]);
                }
                ast::TestStmt::Metrics(_) | ast::TestStmt::Series(_) => {}
            }
        }
        if !has_now {
            self.diags.push(
                Diagnostic::at(
                    Code::TestError,
                    file,
                    t.name.span,
                    format!("test {:?} does not set `now`", t.name.value),
                )
                .with_help("add `now 2026-11-24T00:00:00Z` so the test decides the same way every day"),
            );
        }
    }

    /// A policy assertion's policy: the kind it governs, or `None` (reported
    /// when the name is not a policy).
    fn test_policy(&mut self, file: FileId, policy: &ast::Ident) -> Option<Kind> {
        if let Some(Symbol::Policy(pi)) = self.resolve_name(file, policy) {
            return self.model.policies[pi].subject;
        }
        let names: Vec<String> = self.model.scopes[file.0 as usize]
            .iter()
            .filter(|(_, s)| matches!(s, Symbol::Policy(_)))
            .map(|(n, _)| n.clone())
            .collect();
        let mut d = Diagnostic::at(Code::TestError, file, policy.span, format!("unknown policy `{}`", policy.name));
        if let Some(s) = diag::did_you_mean(&policy.name, names.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
        None
    }

    /// A policy assertion's subject: a declaration of the kind the policy
    /// governs (`subject_kind`, any kind when the policy is unknown).
    fn test_subject(&mut self, file: FileId, policy: &ast::Ident, subject: &ast::Ident, subject_kind: Option<Kind>) {
        match (self.resolve_name(file, subject), subject_kind) {
            (Some(Symbol::Decl(id)), Some(kind)) if self.model.decl(id).kind != kind => {
                let d = self.model.decl(id);
                self.diags.push(
                    Diagnostic::at(
                        Code::TestError,
                        file,
                        subject.span,
                        format!(
                            "policy `{}` governs {}s, but `{}` is {}",
                            policy.name,
                            kind.as_str(),
                            subject.name,
                            d.kind.with_article()
                        ),
                    )
                    .with_label(FileSpan::new(d.file, d.name_span), format!("`{}` is declared here", subject.name)),
                );
            }
            (Some(Symbol::Decl(_)), _) => {}
            _ => {
                // Suggest among the subjects the policy can govern (any
                // declaration when the policy is unknown).
                let mut names: Vec<String> = match subject_kind {
                    Some(kind) => self.names_of_kind(file, kind),
                    None => self.model.scopes[file.0 as usize]
                        .iter()
                        .filter(|(_, s)| matches!(s, Symbol::Decl(_)))
                        .map(|(n, _)| n.clone())
                        .collect(),
                };
                names.sort();
                let mut d =
                    Diagnostic::at(Code::TestError, file, subject.span, format!("unknown subject `{}`", subject.name));
                if let Some(s) = diag::did_you_mean(&subject.name, names.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
            }
        }
    }

    /// A gate assertion must name a gate the initiative has: its own, or a
    /// top-level one.
    fn test_gate_exists(&mut self, file: FileId, initiative: &ast::Ident, from: &ast::Ident, to: &ast::Ident) {
        let Some(Symbol::Decl(iid)) = self.resolve_name(file, initiative) else { return };
        let gates: Vec<String> = self
            .model
            .gates
            .iter()
            .filter(|g| g.owner.is_none() || g.owner == Some(iid))
            .map(|g| format!("{} -> {}", g.from_name, g.to_name))
            .collect();
        let wanted = format!("{} -> {}", from.name, to.name);
        if gates.contains(&wanted) {
            return;
        }
        let mut gates = gates;
        gates.sort();
        gates.dedup();
        let d = Diagnostic::at(
            Code::TestError,
            file,
            Span::new(from.span.start as usize, to.span.end as usize),
            format!("`{}` has no gate `{wanted}`", initiative.name),
        );
        self.diags.push(if gates.is_empty() {
            d.with_help("it has no gates at all")
        } else {
            d.with_help(format!(
                "its gates are {}",
                gates.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", ")
            ))
        });
    }

    /// Reports an assertion's name that is not a declaration of `kind`;
    /// whether it is one.
    fn test_ref(&mut self, file: FileId, ident: &ast::Ident, kind: Kind) -> bool {
        match self.resolve_name(file, ident) {
            Some(Symbol::Decl(id)) if self.model.decl(id).kind == kind => return true,
            Some(Symbol::Decl(id)) => {
                let d = self.model.decl(id);
                self.diags.push(
                    Diagnostic::at(
                        Code::TestError,
                        file,
                        ident.span,
                        format!("`{}` is {}, not {}", ident.name, d.kind.with_article(), kind.with_article()),
                    )
                    .with_label(FileSpan::new(d.file, d.name_span), format!("`{}` is declared here", ident.name)),
                );
            }
            _ => {
                let candidates = self.names_of_kind(file, kind);
                let mut d = Diagnostic::at(
                    Code::TestError,
                    file,
                    ident.span,
                    format!("unknown {} `{}`", kind.as_str(), ident.name),
                );
                if let Some(s) = diag::did_you_mean(&ident.name, candidates.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
            }
        }
        false
    }

    fn test_word(&mut self, file: FileId, ident: &ast::Ident, words: &[&str]) {
        if !words.contains(&ident.name.as_str()) {
            let mut d =
                Diagnostic::at(Code::TestError, file, ident.span, format!("`{}` is not an outcome", ident.name));
            d = match diag::did_you_mean(&ident.name, words.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("expected one of {}", words.join(", "))),
            };
            self.diags.push(d);
        }
    }
}
