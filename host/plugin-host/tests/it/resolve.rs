//! Inheritance resolution, table-tested without libraries: each case declares plugins and
//! expects, for one of them, the plugins each hook runs from, or an error.

use plugin_host::HookPoint::{self, *};
use plugin_host::ResolveError;
use plugin_host::resolve::{Declared, resolve_all};

/// A plugin `name` extending `extends` that implements `hooks` (the implementation is tagged
/// with the plugin's name, so a slot shows where it came from).
fn plugin(name: &'static str, extends: &[&str], hooks: &[HookPoint]) -> Declared<&'static str> {
    let mut own = [None; 10];
    for h in hooks {
        own[h.index()] = Some(name);
    }
    Declared {
        name: name.into(),
        extends: extends.iter().map(|s| s.to_string()).collect(),
        hooks: own,
    }
}

type Expected = Result<Vec<(HookPoint, Vec<&'static str>)>, ResolveError>;

fn resolved(plugins: &[Declared<&'static str>], of: &str) -> Expected {
    let index = plugins
        .iter()
        .position(|p| p.name == of)
        .expect("plugin in case");
    resolve_all(plugins).swap_remove(index).map(|table| {
        HookPoint::ALL
            .into_iter()
            .filter(|h| !table[h.index()].is_empty())
            .map(|h| (h, table[h.index()].iter().map(|s| s.hook).collect()))
            .collect()
    })
}

#[test]
fn inheritance_table() {
    let cases: Vec<(&str, Vec<Declared<&'static str>>, &str, Expected)> = vec![
        (
            "a child inherits every hook of its parent",
            vec![
                plugin("gate", &[], &[ToolsList, ToolCallBefore]),
                plugin("child", &["gate"], &[]),
            ],
            "child",
            Ok(vec![
                (ToolsList, vec!["gate"]),
                (ToolCallBefore, vec!["gate"]),
            ]),
        ),
        (
            "the child's own hook overrides the parent's",
            vec![
                plugin("gate", &[], &[ToolsList, ToolCallBefore]),
                plugin("child", &["gate"], &[ToolsList]),
            ],
            "child",
            Ok(vec![
                (ToolsList, vec!["child"]),
                (ToolCallBefore, vec!["gate"]),
            ]),
        ),
        (
            "lifecycle hooks of several parents chain in extends order",
            vec![
                plugin("a", &[], &[SessionCreate, SessionDestroy, ToolsList]),
                plugin("b", &[], &[SessionCreate, ToolCallAfter]),
                plugin("c", &["b", "a"], &[]),
            ],
            "c",
            Ok(vec![
                (SessionCreate, vec!["b", "a"]),
                (SessionDestroy, vec!["a"]),
                (ToolsList, vec!["a"]),
                (ToolCallAfter, vec!["b"]),
            ]),
        ),
        (
            "a child's lifecycle hook replaces the parents' chain",
            vec![
                plugin("a", &[], &[SessionCreate]),
                plugin("b", &[], &[SessionCreate]),
                plugin("c", &["a", "b"], &[SessionCreate]),
            ],
            "c",
            Ok(vec![(SessionCreate, vec!["c"])]),
        ),
        (
            "a diamond's shared ancestor runs once and is no conflict",
            vec![
                plugin("base", &[], &[SessionCreate, PromptGet]),
                plugin("left", &["base"], &[]),
                plugin("right", &["base"], &[]),
                plugin("both", &["left", "right"], &[]),
            ],
            "both",
            Ok(vec![
                (SessionCreate, vec!["base"]),
                (PromptGet, vec!["base"]),
            ]),
        ),
        (
            "grandchildren inherit through the chain",
            vec![
                plugin("a", &[], &[ResourceRead]),
                plugin("b", &["a"], &[Initialize]),
                plugin("c", &["b"], &[]),
            ],
            "c",
            Ok(vec![(Initialize, vec!["b"]), (ResourceRead, vec!["a"])]),
        ),
        (
            "the same non-lifecycle hook from two parents is a conflict",
            vec![
                plugin("gate", &[], &[ToolsList]),
                plugin("other", &[], &[ToolsList]),
                plugin("child", &["gate", "other"], &[]),
            ],
            "child",
            Err(ResolveError::Conflict {
                plugin: "child".into(),
                hook: ToolsList,
                first: "gate".into(),
                second: "other".into(),
            }),
        ),
        (
            "the child overriding the conflicting hook resolves it",
            vec![
                plugin("gate", &[], &[ToolsList]),
                plugin("other", &[], &[ToolsList]),
                plugin("child", &["gate", "other"], &[ToolsList]),
            ],
            "child",
            Ok(vec![(ToolsList, vec!["child"])]),
        ),
        (
            "a missing parent is an error",
            vec![plugin("child", &["nowhere"], &[])],
            "child",
            Err(ResolveError::MissingParent {
                plugin: "child".into(),
                parent: "nowhere".into(),
            }),
        ),
        (
            "a cycle is an error for each plugin in it",
            vec![plugin("a", &["b"], &[]), plugin("b", &["a"], &[])],
            "a",
            Err(ResolveError::Cycle {
                plugin: "a".into(),
                cycle: "a -> b -> a".into(),
            }),
        ),
        (
            "a cycle is reported for its second member too",
            vec![plugin("a", &["b"], &[]), plugin("b", &["a"], &[])],
            "b",
            Err(ResolveError::Cycle {
                plugin: "b".into(),
                cycle: "a -> b -> a".into(),
            }),
        ),
        (
            "a plugin extending itself is a cycle",
            vec![plugin("selfish", &["selfish"], &[ToolsList])],
            "selfish",
            Err(ResolveError::Cycle {
                plugin: "selfish".into(),
                cycle: "selfish -> selfish".into(),
            }),
        ),
        (
            "a plugin extending a broken one cannot be used",
            vec![plugin("a", &["missing"], &[]), plugin("b", &["a"], &[])],
            "b",
            Err(ResolveError::ParentFailed {
                plugin: "b".into(),
                parent: "a".into(),
            }),
        ),
        (
            "a plugin outside a cycle that extends into it cannot be used",
            vec![
                plugin("a", &["b"], &[]),
                plugin("b", &["a"], &[]),
                plugin("outside", &["a"], &[]),
            ],
            "outside",
            Err(ResolveError::ParentFailed {
                plugin: "outside".into(),
                parent: "a".into(),
            }),
        ),
    ];
    for (what, plugins, of, expected) in cases {
        assert_eq!(resolved(&plugins, of), expected, "{what}");
    }
}

#[test]
fn errors_name_the_hook_and_both_parents() {
    let error = ResolveError::Conflict {
        plugin: "child".into(),
        hook: ToolsList,
        first: "gate".into(),
        second: "other".into(),
    };
    assert_eq!(
        error.to_string(),
        "plugin `child` inherits onToolsList from both `gate` and `other`; define onToolsList in `child` to choose"
    );
}
