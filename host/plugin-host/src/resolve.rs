//! Inheritance, resolved once when plugins load.
//!
//! A plugin inherits every hook of the plugins it extends. A hook the plugin defines itself
//! wins over its parents'. A lifecycle hook (onSessionCreate, onSessionDestroy) that several
//! parents provide runs once per distinct implementation, in the order of `extends`. Any other
//! hook that two parents provide (from different implementations) and the plugin does not
//! define is a conflict. A parent that does not exist, or a cycle, is an error too.
//!
//! The result is a table with, per hook point, the implementations to run: dispatch reads it
//! and never walks the inheritance chain. The resolver is generic over what an implementation
//! is (`F`), so it is tested without libraries.

use plugin_api::HookPoint;

/// What a plugin declares about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared<F> {
    pub name: String,
    pub extends: Vec<String>,
    /// Its own implementation of each hook point, indexed by [`HookPoint::index`].
    pub hooks: [Option<F>; 10],
}

/// An implementation to run, and the plugin (an index into the declared list) it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<F> {
    pub hook: F,
    pub from: usize,
}

/// The hooks that run for a plugin, per hook point (indexed by [`HookPoint::index`]).
pub type Table<F> = [Vec<Slot<F>>; 10];

/// Why a plugin's inheritance cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("plugin `{plugin}` extends `{parent}`, which is not loaded")]
    MissingParent { plugin: String, parent: String },
    #[error("plugin `{plugin}` extends itself through {cycle}")]
    Cycle { plugin: String, cycle: String },
    #[error(
        "plugin `{plugin}` inherits {hook} from both `{first}` and `{second}`; define {hook} in `{plugin}` to choose"
    )]
    Conflict {
        plugin: String,
        hook: HookPoint,
        first: String,
        second: String,
    },
    #[error("plugin `{plugin}` extends `{parent}`, which cannot be loaded")]
    ParentFailed { plugin: String, parent: String },
}

#[derive(Clone)]
enum State<F> {
    Unvisited,
    InProgress,
    Done(Box<Result<Table<F>, ResolveError>>),
}

/// Resolves every declared plugin; the result at index `i` is plugin `i`'s table or error.
/// Names must be unique (the loader refuses duplicates before this runs).
pub fn resolve_all<F: Copy + PartialEq>(
    declared: &[Declared<F>],
) -> Vec<Result<Table<F>, ResolveError>> {
    let mut states: Vec<State<F>> = vec![State::Unvisited; declared.len()];
    let mut stack = Vec::new();
    (0..declared.len())
        .map(|i| resolve_one(declared, i, &mut states, &mut stack))
        .collect()
}

fn resolve_one<F: Copy + PartialEq>(
    declared: &[Declared<F>],
    i: usize,
    states: &mut Vec<State<F>>,
    stack: &mut Vec<usize>,
) -> Result<Table<F>, ResolveError> {
    match &states[i] {
        State::Done(result) => return (**result).clone(),
        State::InProgress => {
            let start = stack.iter().position(|&s| s == i).unwrap_or(0);
            let mut names: Vec<&str> = stack[start..]
                .iter()
                .map(|&s| declared[s].name.as_str())
                .collect();
            names.push(&declared[i].name);
            return Err(ResolveError::Cycle {
                plugin: declared[i].name.clone(),
                cycle: names.join(" -> "),
            });
        }
        State::Unvisited => {}
    }
    states[i] = State::InProgress;
    stack.push(i);
    let result = resolve_parents(declared, i, states, stack);
    stack.pop();
    states[i] = State::Done(Box::new(result.clone()));
    result
}

fn resolve_parents<F: Copy + PartialEq>(
    declared: &[Declared<F>],
    i: usize,
    states: &mut Vec<State<F>>,
    stack: &mut Vec<usize>,
) -> Result<Table<F>, ResolveError> {
    let plugin = &declared[i];
    let mut parents: Vec<(usize, Table<F>)> = Vec::with_capacity(plugin.extends.len());
    for parent in &plugin.extends {
        let Some(p) = declared.iter().position(|d| &d.name == parent) else {
            return Err(ResolveError::MissingParent {
                plugin: plugin.name.clone(),
                parent: parent.clone(),
            });
        };
        match resolve_one(declared, p, states, stack) {
            Ok(table) => parents.push((p, table)),
            Err(ResolveError::Cycle { cycle, .. })
                if cycle.split(" -> ").any(|n| n == plugin.name) =>
            {
                return Err(ResolveError::Cycle {
                    plugin: plugin.name.clone(),
                    cycle,
                });
            }
            Err(_) => {
                return Err(ResolveError::ParentFailed {
                    plugin: plugin.name.clone(),
                    parent: parent.clone(),
                });
            }
        }
    }
    let mut table: Table<F> = Default::default();
    for point in HookPoint::ALL {
        let h = point.index();
        if let Some(hook) = plugin.hooks[h] {
            table[h] = vec![Slot { hook, from: i }];
            continue;
        }
        // (parent index, slot) for every inherited implementation, first occurrence only.
        let mut inherited: Vec<(usize, Slot<F>)> = Vec::new();
        for (p, parent_table) in &parents {
            for slot in &parent_table[h] {
                if !inherited.iter().any(|(_, s)| s.from == slot.from) {
                    inherited.push((*p, *slot));
                }
            }
        }
        if !point.is_lifecycle() && inherited.len() > 1 {
            return Err(ResolveError::Conflict {
                plugin: plugin.name.clone(),
                hook: point,
                first: declared[inherited[0].0].name.clone(),
                second: declared[inherited[1].0].name.clone(),
            });
        }
        table[h] = inherited.into_iter().map(|(_, s)| s).collect();
    }
    Ok(table)
}
