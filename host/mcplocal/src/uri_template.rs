//! Whether a URI is one a resource template (RFC 6570) describes, so that a read of
//! `test://items/42` reaches the server that listed `test://items/{id}`.
//!
//! Literal text must match exactly. A simple expression (`{id}`, `{a,b}`) matches one or more
//! characters up to the next `/`, `?` or `#`; a reserved or fragment expression (`{+path}`,
//! `{#frag}`) and a path-segment expression (`{/a}`) match any run of characters (the latter
//! starting with `/`); a query expression (`{?q}`, `{&q}`) matches the rest of the URI from a
//! `?` or `&`, or nothing. Matching follows the positions each part can reach (no
//! exponential backtracking); inputs are bounded by [`MAX_LEN`].

/// Longest template or URI considered (longer ones never match).
pub const MAX_LEN: usize = 2048;

#[derive(Debug, PartialEq, Eq)]
enum Part<'a> {
    Literal(&'a str),
    /// Stops at `/`, `?`, `#`.
    Segment,
    /// Anything (possibly empty), starting with the given prefix character if not `None`.
    Any(Option<char>),
    /// `?...` or `&...` to the end, or nothing.
    Query,
}

fn parse(template: &str) -> Option<Vec<Part<'_>>> {
    let mut parts = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(0) => {
                let end = rest.find('}')?;
                let expression = &rest[1..end];
                let part = match expression.chars().next() {
                    Some('+') | Some('#') => Part::Any(None),
                    Some('/') => Part::Any(Some('/')),
                    Some('.') => Part::Any(Some('.')),
                    Some(';') => Part::Any(Some(';')),
                    Some('?') | Some('&') => Part::Query,
                    Some(_) => Part::Segment,
                    None => return None,
                };
                parts.push(part);
                rest = &rest[end + 1..];
            }
            Some(start) => {
                parts.push(Part::Literal(&rest[..start]));
                rest = &rest[start..];
            }
            None => {
                parts.push(Part::Literal(rest));
                rest = "";
            }
        }
    }
    Some(parts)
}

/// The positions of `uri` where `part` can end when it starts at `start`.
fn ends(part: &Part<'_>, uri: &str, start: usize, out: &mut [bool]) {
    let rest = &uri[start..];
    match part {
        Part::Literal(text) => {
            if rest.starts_with(text) {
                out[start + text.len()] = true;
            }
        }
        Part::Segment => {
            let limit = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            for cut in (1..=limit).filter(|cut| rest.is_char_boundary(*cut)) {
                out[start + cut] = true;
            }
        }
        Part::Any(prefix) => {
            out[start] = true;
            let body_start = match prefix {
                Some(c) if rest.starts_with(*c) => c.len_utf8(),
                Some(_) => return,
                None => 0,
            };
            for cut in (body_start..=rest.len()).filter(|cut| rest.is_char_boundary(*cut)) {
                out[start + cut] = true;
            }
        }
        Part::Query => {
            out[start] = true;
            if rest.starts_with('?') || rest.starts_with('&') {
                out[uri.len()] = true;
            }
        }
    }
}

/// Whether the parts, in order, can cover all of `uri`: the positions reachable after each
/// part, so a template costs at most parts × length² steps however it is written.
fn walk(parts: &[Part<'_>], uri: &str) -> bool {
    let mut reachable = vec![false; uri.len() + 1];
    reachable[0] = true;
    for part in parts {
        let mut next = vec![false; uri.len() + 1];
        for start in (0..=uri.len()).filter(|start| reachable[*start]) {
            ends(part, uri, start, &mut next);
        }
        if !next.iter().any(|reached| *reached) {
            return false;
        }
        reachable = next;
    }
    reachable[uri.len()]
}

/// Whether `uri` is an expansion of `template`.
pub fn matches(template: &str, uri: &str) -> bool {
    if template.len() > MAX_LEN || uri.len() > MAX_LEN {
        return false;
    }
    parse(template).is_some_and(|parts| walk(&parts, uri))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn simple_expressions_match_one_segment() {
        assert!(matches(
            "test://template/{id}/data",
            "test://template/123/data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template//data"
        ));
        assert!(!matches(
            "test://template/{id}/data",
            "test://template/1/2/data"
        ));
        assert!(matches("file:///{a}/{b}", "file:///x/y"));
        assert!(!matches("file:///{a}", "file:///"));
    }

    #[test]
    fn reserved_and_query_expressions_match_more() {
        assert!(matches("file:///{+path}", "file:///a/b/c.txt"));
        assert!(matches(
            "search://{q}{?limit,page}",
            "search://cats?limit=3"
        ));
        assert!(matches("search://{q}{?limit}", "search://cats"));
        assert!(matches("repo://{owner}{/path}", "repo://me/src/lib.rs"));
    }

    #[test]
    fn literals_must_match_and_bad_templates_never_do() {
        assert!(!matches("test://a/{id}", "other://a/1"));
        assert!(matches("test://static", "test://static"));
        assert!(!matches("test://{unclosed", "test://x"));
        assert!(!matches("test://{}", "test://x"));
        let long = format!("test://{}", "a".repeat(super::MAX_LEN));
        assert!(!matches("test://{+rest}", &long));
    }
}
