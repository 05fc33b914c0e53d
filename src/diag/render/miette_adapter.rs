//! A `miette::Diagnostic` for library users.

use super::*;

// ---------------------------------------------------------------------------
// miette

/// One of our diagnostics as a [`miette::Diagnostic`], with its source
/// attached, for library users who already report errors with miette.
///
/// It owns a copy of the primary file's text and path, so it outlives the
/// [`Files`] it came from. Labels in the primary file become miette labels
/// (the primary one marked primary); labels in other files become
/// [`related`](miette::Diagnostic::related) diagnostics with their own
/// source.
///
/// ```
/// use compel::diag::{render::MietteDiagnostic, Code, Diagnostic};
/// use compel::text::{Files, SourceFile, Span};
///
/// let mut files = Files::new();
/// let id = files.add(SourceFile::new("a.compel", "kpis [acuracy]"));
/// let diag = Diagnostic::at(Code::UnknownName, id, Span::new(6, 13), "unknown name `acuracy`");
/// let report = miette::Report::new(MietteDiagnostic::new(&files, &diag));
/// assert_eq!(report.to_string(), "unknown name `acuracy`");
/// ```
#[derive(Debug)]
pub struct MietteDiagnostic {
    code: Option<Code>,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: miette::NamedSource<String>,
    labels: Vec<miette::LabeledSpan>,
    related: Vec<MietteDiagnostic>,
}

impl MietteDiagnostic {
    /// Converts `diag`, copying the text of the files it points into.
    pub fn new(files: &Files, diag: &Diagnostic) -> MietteDiagnostic {
        let file = source_file(files, diag.primary.file);
        let mut labels = Vec::new();
        let mut related = Vec::new();
        if let Some(file) = file {
            let range = byte_range(&file.text, diag.primary.span);
            let message = (!diag.primary_label.is_empty()).then(|| diag.primary_label.clone());
            labels.push(miette::LabeledSpan::new_primary_with_span(message, range));
        }
        for label in &diag.labels {
            match source_file(files, label.at.file) {
                Some(other) if label.at.file == diag.primary.file => {
                    let range = byte_range(&other.text, label.at.span);
                    labels.push(miette::LabeledSpan::new_with_span(Some(label.message.clone()), range));
                }
                Some(other) => {
                    let range = byte_range(&other.text, label.at.span);
                    related.push(MietteDiagnostic {
                        code: None,
                        severity: Severity::Note,
                        message: label.message.clone(),
                        help: None,
                        source: miette::NamedSource::new(&other.path, other.text.clone()),
                        labels: vec![miette::LabeledSpan::new_primary_with_span(None, range)],
                        related: Vec::new(),
                    });
                }
                None => {}
            }
        }
        let (path, text) = file.map_or_else(|| (String::new(), String::new()), |f| (f.path.clone(), f.text.clone()));
        MietteDiagnostic {
            code: Some(diag.code),
            severity: diag.severity,
            message: diag.message.clone(),
            help: diag.help.clone(),
            source: miette::NamedSource::new(path, text),
            labels,
            related,
        }
    }
}

impl fmt::Display for MietteDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteDiagnostic {}

impl miette::Diagnostic for MietteDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.map(|code| Box::new(code.as_str()) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|d| d as &dyn miette::Diagnostic)) as Box<dyn Iterator<Item = _>>)
    }
}
