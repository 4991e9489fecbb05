//! Source code: one piece per top-level definition, found line by line (no parser): lines at
//! column 0 that start a function, class, type or impl in Rust, Python, JavaScript/TypeScript
//! or Go. Attributes, decorators and comments right above a definition stay with it; what
//! precedes the first definition (imports) is the preamble.

use super::ids::{sanitize, short_title};
use super::{Piece, line_ranges, lines_with_offsets};

/// What a scan of the lines found.
pub struct Scan {
    pub definitions: usize,
    pub language: Option<&'static str>,
}

/// A top-level definition line: its name and the language it suggests.
struct Definition<'a> {
    name: String,
    line: &'a str,
    language: &'static str,
}

/// Qualifiers that may precede the keyword.
const QUALIFIERS: &[&str] = &[
    "pub(crate) ",
    "pub(super) ",
    "pub(self) ",
    "pub ",
    "export default ",
    "export ",
    "declare ",
    "abstract ",
    "async ",
    "unsafe ",
    "extern \"C\" ",
    "default ",
];

fn definition(line: &str) -> Option<Definition<'_>> {
    if line.starts_with(char::is_whitespace) {
        return None;
    }
    let mut rest = line;
    let mut rust_qualifier = false;
    while let Some(q) = QUALIFIERS.iter().find(|q| rest.starts_with(**q)) {
        rust_qualifier |= q.starts_with("pub") || q.starts_with("unsafe");
        rest = &rest[q.len()..];
        if let Some(after) = rest.strip_prefix("const ").filter(|r| r.starts_with("fn ")) {
            rest = after;
        }
    }
    if let Some(after) = rest.strip_prefix("const ").filter(|r| r.starts_with("fn ")) {
        rest = after;
    }
    let has_paren = line.contains('(');
    let opens_block = line.contains('{') || line.trim_end().ends_with(';');
    let (keyword, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    let keyword = if keyword.starts_with("impl<") {
        "impl"
    } else {
        keyword
    };
    let (name, language) = match keyword {
        "fn" if has_paren => (ident(tail), "rust"),
        "def" if has_paren => (ident(tail), "python"),
        "function" | "function*" if has_paren => (ident(tail), "javascript"),
        "func" if has_paren => {
            // Go methods: `func (r *T) Name(`.
            let tail = match tail.strip_prefix('(') {
                Some(receiver) => receiver.split_once(')').map_or("", |(_, t)| t.trim_start()),
                None => tail,
            };
            (ident(tail), "go")
        }
        "class" => {
            let ends = line.trim_end();
            let python = ends.ends_with(':');
            if !(python || ends.ends_with('{') || line.contains(" extends ")) {
                return None;
            }
            (ident(tail), if python { "python" } else { "javascript" })
        }
        "impl" if opens_block => {
            let head = rest.split('{').next().unwrap_or(rest).trim();
            (
                format!("impl-{}", sanitize(head.trim_start_matches("impl"))),
                "rust",
            )
        }
        "struct" | "enum" | "trait" | "mod" | "union" if opens_block || has_paren => {
            (ident(tail), "rust")
        }
        "macro_rules!" => (ident(tail), "rust"),
        "interface" if line.contains('{') => (ident(tail), "typescript"),
        "type" if line.contains(" struct") || line.contains(" interface") => (ident(tail), "go"),
        "const" | "let" | "var" if !rust_qualifier => {
            let name = ident(tail);
            let after = tail[name.len()..].trim_start();
            let value = after.strip_prefix('=')?.trim_start();
            let function = value.starts_with('(')
                || value.starts_with("async")
                || value.starts_with("function")
                || line.contains("=>");
            if !function {
                return None;
            }
            (name, "javascript")
        }
        _ => return None,
    };
    if name.is_empty() || name == "impl-" {
        return None;
    }
    Some(Definition {
        name,
        line,
        language,
    })
}

fn ident(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
        .collect()
}

/// Lines that belong to the definition below them.
fn attaches_down(line: &str) -> bool {
    let trimmed = line.trim_start();
    !trimmed.is_empty()
        && (trimmed.starts_with("#[")
            || trimmed.starts_with('@')
            || trimmed.starts_with("//")
            || trimmed.starts_with("/*")
            || trimmed.starts_with('*')
            || (trimmed.starts_with('#') && !trimmed.starts_with("#!")))
}

pub fn scan(text: &str) -> Scan {
    let mut definitions = 0;
    let mut votes: Vec<(&'static str, usize)> = Vec::new();
    for (_, line) in lines_with_offsets(text) {
        if let Some(def) = definition(line) {
            definitions += 1;
            match votes.iter_mut().find(|(l, _)| *l == def.language) {
                Some((_, n)) => *n += 1,
                None => votes.push((def.language, 1)),
            }
        }
    }
    let language = votes.iter().max_by_key(|(_, n)| *n).map(|(l, _)| *l);
    Scan {
        definitions,
        language,
    }
}

pub fn split(text: &str) -> Vec<Piece<'_>> {
    let lines: Vec<(usize, &str)> = lines_with_offsets(text).collect();
    let mut starts: Vec<usize> = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for (index, (at, line)) in lines.iter().enumerate() {
        let Some(def) = definition(line) else {
            continue;
        };
        // Take the attributes, decorators and comments directly above it.
        let mut first = index;
        while first > 0 && attaches_down(lines[first - 1].1) {
            first -= 1;
        }
        let start = if first < index { lines[first].0 } else { *at };
        // Never reach back into the previous definition.
        if starts.last().is_some_and(|&previous| start <= previous) {
            starts.push(*at);
        } else {
            starts.push(start);
        }
        let title = short_title(def.line.split('{').next().unwrap_or(def.line), 80);
        names.push((def.name, title));
    }
    let preamble = starts
        .first()
        .is_some_and(|&first| !text[..first].trim().is_empty());
    if preamble {
        starts.insert(0, 0);
        names.insert(
            0,
            ("preamble".to_owned(), "(imports and preamble)".to_owned()),
        );
    }
    line_ranges(text, &starts)
        .into_iter()
        .zip(names)
        .map(|((begin, end), (name, title))| {
            let id = match sanitize(&name) {
                id if id.is_empty() => "definition".to_owned(),
                id => id,
            };
            Piece::slice(id, title, &text[begin..end])
        })
        .collect()
}
