//! Real documents of each kind, generated (deterministically) for the tests.

use std::fmt::Write as _;

/// A JSON array of `n` objects with `name`, `id` and some payload (~`payload` chars each).
pub fn json_array(n: usize, payload: usize) -> String {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "name": format!("device {i:04}"),
                "id": format!("dev-{i}"),
                "state": if i % 3 == 0 { "on" } else { "off" },
                "attributes": {"note": "x".repeat(payload), "index": i},
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap()
}

/// A JSON object with keys `users`, `config` and `logs` of different sizes.
pub fn json_object() -> String {
    let users: Vec<serde_json::Value> = (0..40)
        .map(|i| serde_json::json!({"login": format!("user{i}"), "email": format!("user{i}@example.org")}))
        .collect();
    let logs: Vec<String> = (0..120)
        .map(|i| {
            format!(
                "2026-01-01T00:{:02}:00Z request {i} served in {} ms",
                i % 60,
                i * 7 % 300
            )
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "users": users,
        "config": {"retries": 3, "timeout": "30s", "regions": ["eu-west", "us-east"], "comment": "c".repeat(600)},
        "logs": logs,
    }))
    .unwrap()
}

/// Markdown with an intro and `sections` `##` sections of ~`size` chars (and a fenced block
/// containing a `##` line that must not split).
pub fn markdown(sections: usize, size: usize) -> String {
    let mut doc =
        String::from("# Operations guide\n\nThis guide describes how the service is run.\n\n");
    for s in 0..sections {
        let _ = writeln!(doc, "## Topic {s}: step {s}\n");
        let mut body = String::new();
        while body.len() < size {
            let _ = write!(
                body,
                "Paragraph about topic {s} explaining sentence {}. ",
                body.len()
            );
        }
        doc.push_str(&body);
        doc.push_str(
            "\n\n```sh\n## not a heading\necho done\n```\n\n### Details\n\nMore about it.\n\n",
        );
    }
    doc
}

/// A Rust source file: a preamble, then `n` functions, a struct and an impl block.
pub fn rust_source(n: usize, body_lines: usize) -> String {
    let mut src = String::from(
        "//! A generated module.\n\nuse std::collections::HashMap;\nuse std::fmt;\n\n",
    );
    for i in 0..n {
        let _ = writeln!(
            src,
            "/// Computes value {i}.\n#[inline]\npub fn compute_{i}(input: &HashMap<String, u32>) -> u32 {{"
        );
        for l in 0..body_lines {
            let _ = writeln!(
                src,
                "    let v{l} = input.get(\"key{l}\").copied().unwrap_or({l});"
            );
        }
        src.push_str("    0\n}\n\n");
    }
    src.push_str("#[derive(Debug)]\npub struct Registry {\n    items: Vec<u32>,\n}\n\n");
    src.push_str("impl fmt::Display for Registry {\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n        write!(f, \"{} items\", self.items.len())\n    }\n}\n");
    src
}

/// A Python module: imports, `n` functions with a decorator, a class with methods.
pub fn python_source(n: usize, body_lines: usize) -> String {
    let mut src = String::from("\"\"\"Generated module.\"\"\"\nimport os\nimport sys\n\n\n");
    for i in 0..n {
        let _ = writeln!(src, "@cached\ndef handler_{i}(request, *, retries=3):");
        let _ = writeln!(src, "    \"\"\"Handle request kind {i}.\"\"\"");
        for l in 0..body_lines {
            let _ = writeln!(src, "    value_{l} = request.get('field_{l}', {l})");
        }
        src.push_str("    return None\n\n\n");
    }
    src.push_str("class Service(Base):\n    def start(self):\n        pass\n\n    def stop(self):\n        pass\n");
    src
}

/// An XML document whose root has `n` `<device>` children with ids.
pub fn xml(n: usize, payload: usize) -> String {
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<!-- inventory -->\n<inventory>\n");
    for i in 0..n {
        let _ = writeln!(
            doc,
            "  <device id=\"d{i}\" kind=\"sensor\">\n    <name>Sensor {i} &amp; co</name>\n    <notes>{}</notes>\n  </device>",
            "n".repeat(payload)
        );
    }
    doc.push_str("  <summary count=\"3\"/>\n</inventory>\n");
    doc
}

/// A YAML document with top-level keys `servers`, `projects`, `settings`.
pub fn yaml() -> String {
    let mut doc = String::from("# fleet\nservers:\n");
    for i in 0..30 {
        let _ = writeln!(
            doc,
            "  - name: server-{i}\n    command: uvx\n    args: [\"mcp-server-{i}\"]"
        );
    }
    doc.push_str("projects:\n");
    for i in 0..20 {
        let _ = writeln!(doc, "  - name: project-{i}\n    servers: [server-{i}]");
    }
    doc.push_str("# tuning\nsettings:\n  retries: 3\n  description: |\n    A block scalar\n    over lines: with a colon\n");
    doc
}

/// Plain prose in `n` paragraphs of ~`size` chars.
pub fn prose(n: usize, size: usize) -> String {
    let mut text = String::new();
    for p in 0..n {
        let mut para = String::new();
        while para.len() < size {
            let _ = write!(
                para,
                "Paragraph {p} goes on about things, sentence {}. ",
                para.len()
            );
        }
        text.push_str(para.trim_end());
        text.push_str("\n\n");
    }
    text
}
