//! XML: one piece per top-level element — the children of the root element, or the elements
//! themselves when the document is a sequence of them. Pieces keep their own text.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::Piece;
use super::ids::sanitize;

struct Element {
    start: usize,
    end: usize,
    depth: usize,
    tag: String,
    label: Option<String>,
}

pub fn split(text: &str) -> Option<Vec<Piece<'_>>> {
    let mut reader = Reader::from_str(text);
    let mut elements: Vec<Element> = Vec::new();
    // Indexes into `elements` of the open elements at depth 0 and 1.
    let mut open: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    loop {
        let before = usize::try_from(reader.buffer_position()).ok()?;
        match reader.read_event().ok()? {
            Event::Start(start) => {
                if depth <= 1 {
                    open.push(elements.len());
                    elements.push(describe(&start, before, depth));
                }
                depth += 1;
            }
            Event::End(_) => {
                depth = depth.checked_sub(1)?;
                if depth <= 1 {
                    let index = open.pop()?;
                    let element = elements.get_mut(index)?;
                    element.end = usize::try_from(reader.buffer_position()).ok()?;
                }
            }
            Event::Empty(start) if depth <= 1 => {
                let mut element = describe(&start, before, depth);
                element.end = usize::try_from(reader.buffer_position()).ok()?;
                elements.push(element);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 {
        return None;
    }
    let roots = elements.iter().filter(|e| e.depth == 0).count();
    let level = if roots == 1 { 1 } else { 0 };
    let pieces: Vec<Piece<'_>> = elements
        .iter()
        .filter(|e| e.depth == level)
        .filter_map(|e| {
            let content = text.get(e.start..e.end)?;
            let (id, title) = match &e.label {
                Some(label) => (
                    match sanitize(label) {
                        id if id.is_empty() => sanitize(&e.tag),
                        id => id,
                    },
                    format!("<{}> {label}", e.tag),
                ),
                None => (sanitize(&e.tag), format!("<{}>", e.tag)),
            };
            let id = if id.is_empty() {
                "element".to_owned()
            } else {
                id
            };
            Some(Piece::slice(id, title, content))
        })
        .collect();
    (pieces.len() >= 2).then_some(pieces)
}

fn describe(start: &BytesStart<'_>, at: usize, depth: usize) -> Element {
    let tag = start.name().0.to_owned();
    let label = ["id", "name", "key", "label"].iter().find_map(|attr| {
        start
            .try_get_attribute(attr)
            .ok()
            .flatten()
            .and_then(|a| {
                a.normalized_value(XmlVersion::Implicit1_0)
                    .ok()
                    .map(|v| v.into_owned())
            })
            .filter(|v| !v.trim().is_empty())
    });
    Element {
        start: at,
        end: at,
        depth,
        tag,
        label,
    }
}
