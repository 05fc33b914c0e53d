//! Plain PromQL series selectors (`name`, `name{...}`, `{...}`), which
//! take a range `[Ns]` directly; anything else is fetched as a subquery.

/// PromQL keywords that cannot stand as a bare metric name.
const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "unless",
    "atan2",
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "count_values",
    "quantile",
    "limitk",
    "limit_ratio",
    "offset",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "start",
    "end",
    "step",
    "inf",
    "nan",
];

/// Whether `expr` is a plain series selector (`name`, `name{...}` or
/// `{...}`), which can take a range `[Ns]` directly.
pub fn is_plain_selector(expr: &str) -> bool {
    plain_selector(expr.trim()).is_some()
}

/// The selector written so that a range can follow it, or `None` when
/// `expr` is not a plain selector. A keyword name (`sum`) is moved into
/// the braces as `__name__="sum"`.
pub(super) fn plain_selector(expr: &str) -> Option<String> {
    let name_len = expr
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit()))
        .count();
    let (name, rest) = expr.split_at(name_len);
    let rest = rest.trim_start();
    let braces = if rest.is_empty() {
        None
    } else {
        if !rest.starts_with('{') {
            return None;
        }
        let end = matching_brace(rest)?;
        if !rest[end + 1..].trim().is_empty() {
            return None;
        }
        Some(&rest[..=end])
    };
    match (name.is_empty(), braces) {
        (true, None) => None,
        (true, Some(b)) => Some(b.to_string()),
        (false, b) if KEYWORDS.contains(&name) => {
            let inner = b.map_or("", |b| b[1..b.len() - 1].trim());
            if inner.is_empty() {
                Some(format!("{{__name__=\"{name}\"}}"))
            } else {
                Some(format!("{{__name__=\"{name}\", {inner}}}"))
            }
        }
        (false, None) => Some(name.to_string()),
        (false, Some(b)) => Some(format!("{name}{b}")),
    }
}

/// The byte index of the `}` closing the `{` at the start of `text`,
/// skipping quoted strings.
fn matching_brace(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '}' => return Some(i),
                '{' | '(' | ')' | '[' | ']' => return None,
                _ => {}
            },
        }
    }
    None
}
