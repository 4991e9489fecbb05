//! Sizing: cutting and merging, directly.

use std::borrow::Cow;

use pipeline::split::sizing::{Limits, cut, fit};
use pipeline::split::{Joiner, Piece};

fn piece(id: &str, chars: usize) -> Piece<'static> {
    Piece {
        id: id.to_owned(),
        title: id.to_uppercase(),
        content: Cow::Owned(format!("{}\n", "a".repeat(chars.saturating_sub(1)))),
        key: None,
    }
}

#[test]
fn cut_prefers_line_breaks_then_spaces_then_hard_cuts() {
    assert_eq!(cut("aaaa\nbbbb\ncccc", 7), ["aaaa\n", "bbbb\n", "cccc"]);
    assert_eq!(cut("aaaa bbbb cccc", 7), ["aaaa ", "bbbb ", "cccc"]);
    assert_eq!(cut("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    assert_eq!(cut("", 4), Vec::<&str>::new());
}

#[test]
fn small_pieces_merge_until_the_minimum_and_never_past_the_maximum() {
    let pieces = vec![
        piece("a", 100),
        piece("b", 100),
        piece("c", 100),
        piece("d", 400),
        piece("e", 50),
    ];
    let sections = fit(pieces, Joiner::Lines, Limits { min: 250, max: 450 });
    let ids: Vec<&str> = sections.iter().map(|s| s.id.as_str()).collect();
    // a+b+c reach 300 >= 250; d alone is 400; e (50) cannot join d (450 + 50 > 450)... but
    // 400 + 50 = 450 fits the maximum exactly, so the small tail joins it.
    assert_eq!(ids, ["a..c", "d..e"]);
    assert_eq!(sections[0].content.chars().count(), 300);
    assert_eq!(sections[0].title, "A … C (3 items)");
}

#[test]
fn a_large_piece_is_cut_and_its_parts_are_not_merged() {
    let pieces = vec![piece("small", 10), piece("big", 2500), piece("tail", 10)];
    let sections = fit(
        pieces,
        Joiner::Lines,
        Limits {
            min: 500,
            max: 1000,
        },
    );
    let ids: Vec<&str> = sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["small", "big.1", "big.2", "big.3", "tail"]);
    assert_eq!(sections[2].title, "BIG (part 2 of 3)");
}

#[test]
fn json_groups_are_valid_json_and_duplicate_ids_are_renamed() {
    let el = |id: &str| Piece {
        id: id.to_owned(),
        title: id.to_owned(),
        content: Cow::Owned(format!("{{\"v\": \"{}\"}}", "x".repeat(50))),
        key: Some(format!("key \"{id}\"")),
    };
    let sections = fit(
        vec![el("k"), el("k"), el("z"), el("z")],
        Joiner::JsonObject,
        Limits {
            min: 100,
            max: 1000,
        },
    );
    assert_eq!(sections.len(), 2);
    let object: serde_json::Value = serde_json::from_str(&sections[0].content).unwrap();
    assert_eq!(
        object.as_object().unwrap().len(),
        1,
        "two members with the same key collapse in JSON"
    );
    assert!(sections[0].content.contains("\"key \\\"k\\\"\": {"));
    let sections = fit(
        vec![el("k"), el("k")],
        Joiner::JsonArray,
        Limits { min: 1, max: 1000 },
    );
    let ids: Vec<&str> = sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["k", "k-2"]);
}
