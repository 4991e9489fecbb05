//! The naming rules of a project endpoint: how the tools and prompts of several servers get
//! one flat namespace, and how resources are attributed to their server.
//!
//! # Exposed names
//!
//! A tool (or prompt) `tool` of server `server` is exposed as
//!
//! * `server{sep}tool` when prefixing is on (`sep` defaults to `/`), or
//! * `tool` when it is off,
//!
//! where prefixing is on for [`PrefixMode::Always`], off for [`PrefixMode::Never`], and for
//! [`PrefixMode::Conditional`] (the default) on exactly when the project has more than one
//! server.
//!
//! # Shortening
//!
//! Names are measured in characters (Unicode scalar values). When the name above is longer
//! than the budget `max` (default 64, the limit many clients enforce), it is shortened to
//!
//! ```text
//! {prefix}{head of tool}_{hash}
//! ```
//!
//! * `hash` is 8 lowercase hex digits: the top 32 bits of the 64-bit FNV-1a hash of the UTF-8
//!   bytes `server`, `0x00`, `tool` (the *original* names, so the hash is stable across
//!   separators, budgets and releases);
//! * `prefix` is `server{sep}` (empty when prefixing is off); if it is longer than half the
//!   budget, `server` is cut so that the prefix takes exactly `max / 2` characters;
//! * `head of tool` is the longest beginning of `tool` for which the whole name fits in `max`
//!   characters (so the name is exactly `max` long unless the server was cut and the tool
//!   name is short).
//!
//! So `github/create_or_update_file_in_a_repository_with_a_very_long_name_indeed` (75
//! characters) becomes `github/create_or_update_file_in_a_repository_with_a_ver_ed9f2bd8`
//! (64): still readable, still sorted next to its siblings, and unique by the hash. Budgets
//! below [`MIN_NAME_LEN`] are raised to it.
//!
//! # Clashes
//!
//! A [`NameMap`] is filled in the project's server order. When an item's exposed name is
//! already taken by another (server, name):
//!
//! * without prefixing, the later item falls back to its prefixed form `server{sep}tool`
//!   (shortened by the same rule), so two unprefixed servers that both have `search` give
//!   `search` (first server) and `second/search`;
//! * if that is taken too (or prefixing was already on), the later item is left out, with a
//!   warning in the log. With prefixing on this needs a server whose *tool name* contains the
//!   separator colliding with another server's prefix, or a hash collision.
//!
//! # Resources
//!
//! Resources keep their URIs (clients and prompts refer to them by URI). A [`ResourceMap`]
//! records the server owning each URI. When two servers list the same URI, the server that
//! comes first in the project's server list owns it; the other server's resource is left out
//! of `resources/list` and cannot be read through the project endpoint (logged as a warning).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// The smallest name budget honoured: a prefix of up to half of it, one character of the
/// tool name, `_` and the 8-digit hash must fit.
pub const MIN_NAME_LEN: usize = 24;

/// The default name budget: 64 characters, the limit of the common clients.
pub const DEFAULT_MAX_NAME_LEN: usize = 64;

/// The default separator between server and tool name.
pub const DEFAULT_SEPARATOR: &str = "/";

/// Length of the hash suffix of a shortened name, with its `_`.
const HASH_SUFFIX_LEN: usize = 9;

/// When tool and prompt names get their server's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PrefixMode {
    /// Always `server/tool`.
    Always,
    /// Never: the servers' own names (clashes fall back to the prefix, see the module docs).
    Never,
    /// Only when the project has more than one server.
    #[default]
    Conditional,
}

/// The naming settings of a project endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NamespaceConfig {
    /// Between server and item name. Default `/`.
    pub separator: String,
    /// Longest exposed name, in characters. Default 64; at least [`MIN_NAME_LEN`].
    pub max_name_len: usize,
    /// When to prefix. Default [`PrefixMode::Conditional`].
    pub prefix: PrefixMode,
}

impl Default for NamespaceConfig {
    fn default() -> Self {
        Self {
            separator: DEFAULT_SEPARATOR.to_owned(),
            max_name_len: DEFAULT_MAX_NAME_LEN,
            prefix: PrefixMode::Conditional,
        }
    }
}

impl NamespaceConfig {
    /// Sets [`Self::separator`].
    pub fn with_separator(mut self, separator: impl Into<String>) -> Self {
        self.separator = separator.into();
        self
    }

    /// Sets [`Self::max_name_len`].
    pub fn with_max_name_len(mut self, max: usize) -> Self {
        self.max_name_len = max;
        self
    }

    /// Sets [`Self::prefix`].
    pub fn with_prefix(mut self, prefix: PrefixMode) -> Self {
        self.prefix = prefix;
        self
    }
}

/// The naming rules applied to one project (they depend on its number of servers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    separator: String,
    max: usize,
    prefixed: bool,
}

/// The 64-bit FNV-1a hash: tiny, and fixed forever (unlike `std`'s hashers).
fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The 8-hex-digit hash of a (server, name) pair used in shortened names.
pub fn short_hash(server: &str, name: &str) -> String {
    format!(
        "{:08x}",
        fnv1a(server.bytes().chain(std::iter::once(0)).chain(name.bytes())) >> 32
    )
}

fn take_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

impl Namespace {
    /// The rules for a project of `server_count` servers.
    pub fn new(config: &NamespaceConfig, server_count: usize) -> Self {
        let prefixed = match config.prefix {
            PrefixMode::Always => true,
            PrefixMode::Never => false,
            PrefixMode::Conditional => server_count > 1,
        };
        Self {
            separator: config.separator.clone(),
            max: config.max_name_len.max(MIN_NAME_LEN),
            prefixed,
        }
    }

    /// Whether names get their server's prefix in this project.
    pub fn is_prefixed(&self) -> bool {
        self.prefixed
    }

    /// The separator between server and item name.
    pub fn separator(&self) -> &str {
        &self.separator
    }

    /// The name budget in effect (at least [`MIN_NAME_LEN`]).
    pub fn max_name_len(&self) -> usize {
        self.max
    }

    /// The exposed name of `server`'s item `name` under this project's prefix mode.
    pub fn exposed_name(&self, server: &str, name: &str) -> String {
        self.name_with(self.prefixed, server, name)
    }

    /// The prefixed form `server{sep}name`, shortened to the budget.
    pub fn prefixed_name(&self, server: &str, name: &str) -> String {
        self.name_with(true, server, name)
    }

    fn name_with(&self, prefixed: bool, server: &str, name: &str) -> String {
        let prefix = if prefixed {
            format!("{server}{}", self.separator)
        } else {
            String::new()
        };
        let full_len = prefix.chars().count() + name.chars().count();
        if full_len <= self.max {
            return format!("{prefix}{name}");
        }
        let half = self.max / 2;
        let prefix = if prefix.chars().count() > half {
            let keep = half.saturating_sub(self.separator.chars().count());
            format!("{}{}", take_chars(server, keep), self.separator)
        } else {
            prefix
        };
        let room = self
            .max
            .saturating_sub(prefix.chars().count() + HASH_SUFFIX_LEN);
        format!(
            "{prefix}{}_{}",
            take_chars(name, room),
            short_hash(server, name)
        )
    }
}

/// Where an exposed name leads: the server and the item's own name there.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The server (in mcpd) that has the item.
    pub server: String,
    /// The item's name on that server.
    pub name: String,
}

/// The exposed names of one kind of item (tools or prompts) and the reverse map from an
/// exposed name to its [`Target`].
#[derive(Debug, Clone)]
pub struct NameMap {
    namespace: Namespace,
    reverse: HashMap<String, Target>,
}

impl NameMap {
    /// An empty map under `namespace`'s rules.
    pub fn new(namespace: Namespace) -> Self {
        Self {
            namespace,
            reverse: HashMap::new(),
        }
    }

    /// Adds `server`'s item `name` and returns its exposed name, or `None` when it cannot be
    /// exposed (clash rules in the module docs). Insert in the project's server order. The same
    /// (server, name) inserted again gets the same name again.
    pub fn insert(&mut self, server: &str, name: &str) -> Option<String> {
        let target = Target {
            server: server.to_owned(),
            name: name.to_owned(),
        };
        let mut candidates = vec![self.namespace.exposed_name(server, name)];
        if !self.namespace.is_prefixed() {
            candidates.push(self.namespace.prefixed_name(server, name));
        }
        for candidate in candidates {
            match self.reverse.entry(candidate.clone()) {
                Entry::Vacant(slot) => {
                    slot.insert(target);
                    return Some(candidate);
                }
                Entry::Occupied(taken) if *taken.get() == target => return Some(candidate),
                Entry::Occupied(_) => {}
            }
        }
        tracing::warn!(
            server,
            name,
            "the name clashes with another server's item in this project; left out"
        );
        None
    }

    /// The server and original name behind an exposed name.
    pub fn resolve(&self, exposed: &str) -> Option<&Target> {
        self.reverse.get(exposed)
    }

    /// How many names the map holds.
    pub fn len(&self) -> usize {
        self.reverse.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.reverse.is_empty()
    }
}

/// Which server owns each resource URI (first server in project order wins a clash).
#[derive(Debug, Clone, Default)]
pub struct ResourceMap {
    owners: HashMap<String, String>,
}

impl ResourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `server` lists `uri`. Returns `false` when another server already owns
    /// the URI (this one's resource is then left out). Insert in the project's server order.
    pub fn insert(&mut self, server: &str, uri: &str) -> bool {
        match self.owners.entry(uri.to_owned()) {
            Entry::Vacant(slot) => {
                slot.insert(server.to_owned());
                true
            }
            Entry::Occupied(owner) if owner.get() == server => true,
            Entry::Occupied(owner) => {
                tracing::warn!(
                    uri,
                    server,
                    owner = %owner.get(),
                    "two servers of the project list the same resource URI; the first keeps it"
                );
                false
            }
        }
    }

    /// The server owning `uri`.
    pub fn owner(&self, uri: &str) -> Option<&str> {
        self.owners.get(uri).map(String::as_str)
    }

    /// How many URIs the map holds.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ns(prefix: PrefixMode, servers: usize) -> Namespace {
        Namespace::new(&NamespaceConfig::default().with_prefix(prefix), servers)
    }

    #[test]
    fn prefix_modes() {
        let table = [
            (PrefixMode::Always, 1, "clock/get_time"),
            (PrefixMode::Always, 2, "clock/get_time"),
            (PrefixMode::Never, 1, "get_time"),
            (PrefixMode::Never, 3, "get_time"),
            (PrefixMode::Conditional, 1, "get_time"),
            (PrefixMode::Conditional, 2, "clock/get_time"),
            (PrefixMode::Conditional, 0, "get_time"),
        ];
        for (mode, servers, expected) in table {
            assert_eq!(
                ns(mode, servers).exposed_name("clock", "get_time"),
                expected,
                "{mode:?} with {servers} servers"
            );
        }
    }

    #[test]
    fn separators() {
        let table = [
            ("/", "clock/now"),
            ("__", "clock__now"),
            (".", "clock.now"),
            ("", "clocknow"),
            ("→", "clock→now"),
        ];
        for (separator, expected) in table {
            let config = NamespaceConfig::default()
                .with_separator(separator)
                .with_prefix(PrefixMode::Always);
            assert_eq!(
                Namespace::new(&config, 1).exposed_name("clock", "now"),
                expected
            );
        }
    }

    #[test]
    fn names_within_the_budget_are_kept() {
        let n = ns(PrefixMode::Always, 2);
        let tool = "t".repeat(64 - "server/".len());
        assert_eq!(n.exposed_name("server", &tool), format!("server/{tool}"));
    }

    #[test]
    fn long_names_are_shortened_stably_and_readably() {
        let n = ns(PrefixMode::Always, 2);
        let tool = "create_or_update_file_in_a_repository_with_a_very_long_name_indeed";
        let name = n.exposed_name("github", tool);
        assert_eq!(name.chars().count(), 64, "{name}");
        let hash = short_hash("github", tool);
        assert_eq!(hash.len(), 8);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        let expected_head = &tool[..64 - "github/".len() - 9];
        assert_eq!(name, format!("github/{expected_head}_{hash}"));
        // Stable: same input, same name; another tool, another hash.
        assert_eq!(n.exposed_name("github", tool), name);
        let other = format!("{tool}_2");
        assert_ne!(n.exposed_name("github", &other), name);
        // The hash depends on the original names only, not on the separator.
        let dots = Namespace::new(
            &NamespaceConfig::default()
                .with_separator(".")
                .with_prefix(PrefixMode::Always),
            1,
        );
        assert!(dots.exposed_name("github", tool).ends_with(&hash));
    }

    #[test]
    fn the_documented_example_holds() {
        let n = ns(PrefixMode::Always, 2);
        let tool = "create_or_update_file_in_a_repository_with_a_very_long_name_indeed";
        assert_eq!(
            n.exposed_name("github", tool),
            "github/create_or_update_file_in_a_repository_with_a_ver_ed9f2bd8"
        );
    }

    #[test]
    fn the_hash_is_fixed() {
        // Pinned: changing it would rename shortened tools for every user.
        assert_eq!(
            short_hash("", ""),
            format!("{:08x}", 0xaf63_bd4c_8601_b7dfu64 >> 32)
        );
        assert_eq!(short_hash("a", "b"), short_hash("a", "b"));
        assert_ne!(short_hash("ab", ""), short_hash("a", "b"));
    }

    #[test]
    fn long_server_names_are_cut_to_half_the_budget() {
        let n = ns(PrefixMode::Always, 2);
        let server = "s".repeat(63);
        let name = n.exposed_name(&server, "tool");
        let hash = short_hash(&server, "tool");
        assert_eq!(name, format!("{}/tool_{hash}", "s".repeat(31)));
        let name = n.exposed_name(&server, &"t".repeat(40));
        assert_eq!(name.chars().count(), 64, "{name}");
        assert!(name.starts_with(&format!("{}/{}", "s".repeat(31), "t".repeat(23))));
    }

    #[test]
    fn unprefixed_long_names_and_small_budgets() {
        let n = ns(PrefixMode::Never, 1);
        let tool = "x".repeat(100);
        let name = n.exposed_name("srv", &tool);
        assert_eq!(name.chars().count(), 64);
        assert!(name.starts_with(&"x".repeat(55)));

        let tiny = Namespace::new(
            &NamespaceConfig::default()
                .with_max_name_len(3)
                .with_prefix(PrefixMode::Always),
            1,
        );
        assert_eq!(tiny.max_name_len(), MIN_NAME_LEN);
        let name = tiny.exposed_name("server", "a_rather_long_tool_name");
        assert_eq!(name.chars().count(), MIN_NAME_LEN, "{name}");
    }

    #[test]
    fn multibyte_names_are_cut_on_character_boundaries() {
        let n = ns(PrefixMode::Always, 2);
        let tool = "ż".repeat(80);
        let name = n.exposed_name("pl", &tool);
        assert_eq!(name.chars().count(), 64);
        assert!(name.starts_with("pl/żż"));
    }

    #[test]
    fn reverse_map_resolves_to_server_and_original_name() {
        let mut map = NameMap::new(ns(PrefixMode::Conditional, 2));
        let long = "l".repeat(90);
        let a = map.insert("clock", "get_current_time").unwrap();
        let b = map.insert("echo", "echo").unwrap();
        let c = map.insert("echo", &long).unwrap();
        assert_eq!(a, "clock/get_current_time");
        assert_eq!(b, "echo/echo");
        assert_eq!(
            map.resolve(&a),
            Some(&Target {
                server: "clock".into(),
                name: "get_current_time".into()
            })
        );
        assert_eq!(map.resolve(&b).unwrap().server, "echo");
        assert_eq!(map.resolve(&c).unwrap().name, long);
        assert_eq!(map.resolve("get_current_time"), None);
        assert_eq!(map.insert("echo", "echo").unwrap(), b, "idempotent");
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn unprefixed_clashes_fall_back_to_the_prefix() {
        let mut map = NameMap::new(ns(PrefixMode::Never, 2));
        assert_eq!(map.insert("first", "search").unwrap(), "search");
        assert_eq!(map.insert("second", "search").unwrap(), "second/search");
        assert_eq!(map.resolve("search").unwrap().server, "first");
        assert_eq!(map.resolve("second/search").unwrap().server, "second");
    }

    #[test]
    fn unresolvable_clashes_leave_the_later_item_out() {
        let mut map = NameMap::new(ns(PrefixMode::Always, 2));
        // `a` has a tool `b/c`; server `a/b` (not a DNS label, but possible with another
        // separator) would expose `a/b/c` too.
        assert_eq!(map.insert("a", "b/c").unwrap(), "a/b/c");
        assert_eq!(map.insert("a/b", "c"), None);
        assert_eq!(map.resolve("a/b/c").unwrap().server, "a");
    }

    #[test]
    fn resource_uri_clash_first_server_wins() {
        let mut map = ResourceMap::new();
        assert!(map.insert("one", "file:///a"));
        assert!(map.insert("two", "file:///b"));
        assert!(!map.insert("two", "file:///a"));
        assert!(
            map.insert("one", "file:///a"),
            "the owner may list it again"
        );
        assert_eq!(map.owner("file:///a"), Some("one"));
        assert_eq!(map.owner("file:///b"), Some("two"));
        assert_eq!(map.owner("file:///c"), None);
        assert_eq!(map.len(), 2);
    }
}
