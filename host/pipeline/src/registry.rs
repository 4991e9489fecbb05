//! The registry mcplocal asks for stages: the built-ins first, then other registries (JS
//! stages, native stages) in order. A stage of another registry named like a built-in is
//! refused (the built-in is used) and logged once; so is a name two other registries share
//! (the first keeps it).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::stage::{Stage, StageRegistry, StageSource};
use crate::stages::BuiltinStages;

pub struct CombinedRegistry {
    builtins: BuiltinStages,
    others: Vec<Arc<dyn StageRegistry>>,
    /// Names already logged as refused.
    refused: Mutex<HashSet<String>>,
}

impl CombinedRegistry {
    pub fn new(others: Vec<Arc<dyn StageRegistry>>) -> Self {
        CombinedRegistry {
            builtins: BuiltinStages::new(),
            others,
            refused: Mutex::new(HashSet::new()),
        }
    }

    fn refuse(&self, name: &str, why: &str) {
        let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        if refused.insert(name.to_owned()) {
            tracing::error!(stage = name, "local stage {name:?} refused: {why}");
        }
    }
}

impl StageRegistry for CombinedRegistry {
    fn stage(&self, name: &str) -> Option<Arc<dyn Stage>> {
        if let Some(stage) = self.builtins.stage(name) {
            if self.others.iter().any(|o| o.stage(name).is_some()) {
                self.refuse(name, "a built-in stage has that name; rename the file");
            }
            return Some(stage);
        }
        self.others.iter().find_map(|o| o.stage(name))
    }

    fn list(&self) -> Vec<(String, StageSource)> {
        let mut list = self.builtins.list();
        let mut seen: HashSet<String> = list.iter().map(|(n, _)| n.clone()).collect();
        for other in &self.others {
            for (name, source) in other.list() {
                if self.builtins.contains(&name) {
                    self.refuse(&name, "a built-in stage has that name; rename the file");
                } else if seen.insert(name.clone()) {
                    list.push((name, source));
                } else {
                    self.refuse(&name, "another stage source already has that name");
                }
            }
        }
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list
    }
}
