//! Where the rules of one compilation are written: the text of each rule
//! group, appended in place at its final indentation (a large policy
//! writes some hundred thousand rules), and what each rule decides.

use super::rules::{Decides, Rule};
use super::text::{write_alert, write_record};

/// The groups of recording rules (alerts go to `compel.alerts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Group {
    /// `compel.kpis`: values and whether targets and warn bands hold.
    Kpis,
    /// `compel.readiness`: criteria and initiatives' next gates.
    Readiness,
}

/// The text of the rule groups and the rules written.
pub(crate) struct Groups {
    /// The rules of each group, every line indented for the document.
    pub kpis: String,
    pub alerts: String,
    pub readiness: String,
    /// How many rules were written.
    pub rules: usize,
    /// Every rule written, with what it decides (when kept).
    pub written: Vec<Rule>,
    /// The indentation of a rule's lines in the document.
    indent: &'static str,
    /// Whether [`Groups::written`] is filled.
    keep: bool,
}

fn owned(labels: &[(&str, String)]) -> Vec<(String, String)> {
    labels.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
}

impl Groups {
    /// Empty groups whose rules are indented by `indent`; `keep` keeps the
    /// list of rules written.
    pub fn new(indent: &'static str, keep: bool) -> Groups {
        Groups {
            kpis: String::new(),
            alerts: String::new(),
            readiness: String::new(),
            rules: 0,
            written: Vec::new(),
            indent,
            keep,
        }
    }

    fn text(&mut self, group: Group) -> &mut String {
        match group {
            Group::Kpis => &mut self.kpis,
            Group::Readiness => &mut self.readiness,
        }
    }

    /// Writes a recording rule into `group`.
    pub fn record(&mut self, group: Group, name: &str, expr: &str, labels: &[(&str, String)], decides: &Decides) {
        let indent = self.indent;
        write_record(self.text(group), indent, name, expr, labels);
        self.rules += 1;
        if self.keep {
            let labels = owned(labels);
            let decides = decides.clone();
            self.written.push(Rule { name: name.into(), alert: false, labels, annotations: Vec::new(), decides });
        }
    }

    /// Writes an alerting rule into `compel.alerts`.
    pub fn alert(
        &mut self,
        name: &str,
        expr: &str,
        labels: &[(&str, String)],
        annotations: &[(&str, String)],
        decides: &Decides,
    ) {
        write_alert(&mut self.alerts, self.indent, name, expr, labels, annotations);
        self.rules += 1;
        if self.keep {
            let (labels, annotations) = (owned(labels), owned(annotations));
            let decides = decides.clone();
            self.written.push(Rule { name: name.into(), alert: true, labels, annotations, decides });
        }
    }
}
