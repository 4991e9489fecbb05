//! What the runtime observed, as mcpctl shows it: instance cells shared by `get instances`
//! and `describe server`, and the `Instances:` and `Events:` tables of `describe server`.

use resource_model::resource::parse_rfc3339;
use resource_model::spec::InstanceSpec;
use resource_model::{Resource, Spec};

use super::age::format_age;
use super::table::{Table, truncate};
use crate::api::Event;

/// Last errors are cut to this in tables.
pub const LAST_ERROR_WIDTH: usize = 60;

/// How long the instance's current container or process has run (`startedAt`), else since
/// mcpd first saw it; `-` for one that has not started.
pub fn instance_age(resource: &Resource, instance: &InstanceSpec, now_ms: i64) -> String {
    let started = instance
        .started_at
        .as_deref()
        .and_then(parse_rfc3339)
        .or(resource.meta.created_at_ms);
    match started {
        Some(ms) => format_age(Some(ms), now_ms),
        None => "-".to_owned(),
    }
}

/// The instance's last error, cut to [`LAST_ERROR_WIDTH`]; `-` when there is none.
pub fn last_error_cell(instance: &InstanceSpec) -> String {
    match instance.last_error.as_deref().map(str::trim) {
        Some(error) if !error.is_empty() => truncate(error, LAST_ERROR_WIDTH),
        _ => "-".to_owned(),
    }
}

/// `describe server`'s instances: NAME STATE RESTARTS BACKEND AGE LAST ERROR.
pub fn instances_table(instances: &[Resource], now_ms: i64) -> Table {
    let mut table = Table::new(["name", "state", "restarts", "backend", "age", "last error"]);
    for resource in instances {
        let Spec::Instance(instance) = &resource.spec else {
            continue;
        };
        table.push(vec![
            resource.name.clone(),
            instance.state.clone(),
            instance.restarts.to_string(),
            instance.backend.clone().unwrap_or_else(|| "-".to_owned()),
            instance_age(resource, instance, now_ms),
            last_error_cell(instance),
        ]);
    }
    table
}

/// `describe server`'s events, in the order given (mcpd sends the oldest first, so the latest
/// is last, as kubectl shows them): AGE TYPE REASON INSTANCE MESSAGE.
pub fn events_table(events: &[Event], now_ms: i64) -> Table {
    let mut table = Table::new(["age", "type", "reason", "instance", "message"]);
    for event in events {
        let at = parse_rfc3339(&event.time);
        table.push(vec![
            match at {
                Some(ms) => format_age(Some(ms), now_ms),
                None => "-".to_owned(),
            },
            event.kind.clone(),
            event.reason.clone(),
            event.instance.clone().unwrap_or_default(),
            event.message.clone(),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::columns::read_documents;
    use resource_model::Kind;
    use resource_model::resource::rfc3339;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;

    fn seconds_ago(seconds: i64) -> String {
        rfc3339(NOW - seconds * 1000)
    }

    #[test]
    fn instance_ages_count_from_the_start_of_the_current_process() {
        let docs = [
            json!({"name": "a-1", "server": "a", "startedAt": seconds_ago(90), "createdAt": seconds_ago(7200)}),
            json!({"name": "a-2", "server": "a", "createdAt": seconds_ago(7200)}),
            json!({"name": "a-3", "server": "a", "startedAt": "not a time"}),
        ];
        let resources = read_documents(Kind::Instance, &docs).expect("readable");
        let ages: Vec<String> = resources
            .iter()
            .map(|r| match &r.spec {
                Spec::Instance(i) => instance_age(r, i, NOW),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(ages, ["1m", "2h", "-"]);
    }

    #[test]
    fn last_errors_are_cut_to_sixty_characters() {
        let long = InstanceSpec {
            last_error: Some("e".repeat(61)),
            ..InstanceSpec::default()
        };
        let cell = last_error_cell(&long);
        assert_eq!(cell, format!("{}...", "e".repeat(57)));
        let exact = InstanceSpec {
            last_error: Some("e".repeat(60)),
            ..InstanceSpec::default()
        };
        assert_eq!(last_error_cell(&exact), "e".repeat(60));
        assert_eq!(last_error_cell(&InstanceSpec::default()), "-");
        let blank = InstanceSpec {
            last_error: Some("  ".into()),
            ..InstanceSpec::default()
        };
        assert_eq!(last_error_cell(&blank), "-");
    }

    #[test]
    fn describe_tables_of_instances_and_events() {
        let docs = [
            json!({"kind": "instance", "name": "clock-x1", "server": "clock",
            "state": "Running", "restarts": 0, "backend": "process", "containerId": "42",
            "startedAt": seconds_ago(30)}),
        ];
        let resources = read_documents(Kind::Instance, &docs).expect("readable");
        assert_eq!(
            instances_table(&resources, NOW).render(),
            "NAME       STATE     RESTARTS   BACKEND   AGE   LAST ERROR\n\
             clock-x1   Running   0          process   30s   -\n"
        );
        let events = [
            Event {
                time: seconds_ago(120),
                kind: "Normal".into(),
                reason: "Starting".into(),
                instance: Some("clock-x1".into()),
                message: "starting on process".into(),
            },
            Event {
                time: seconds_ago(5),
                kind: "Warning".into(),
                reason: "Unhealthy".into(),
                instance: None,
                message: "no answer".into(),
            },
        ];
        assert_eq!(
            events_table(&events, NOW).render(),
            "AGE   TYPE      REASON      INSTANCE   MESSAGE\n\
             2m    Normal    Starting    clock-x1   starting on process\n\
             5s    Warning   Unhealthy   -          no answer\n"
        );
    }
}
