//! The built-in stages on real documents of every kind.

use pipeline::stages::section_split::{SplitSettings, split_sections};
use pipeline::{BuiltinStages, Section, StageError, StageOutput, StageRegistry, StageSource};
use serde_json::json;

use crate::documents;
use crate::support::stage_context;

async fn run(
    stage: &str,
    content: &str,
    config: serde_json::Value,
) -> Result<StageOutput, StageError> {
    let registry = BuiltinStages::new();
    let stage = registry.stage(stage).expect("built-in stage");
    let ctx = stage_context(content, config);
    stage.run(content.to_owned(), &ctx).await
}

fn ids(sections: &[Section]) -> Vec<&str> {
    sections.iter().map(|s| s.id.as_str()).collect()
}

#[test]
fn registry_lists_the_four_built_ins() {
    let list = BuiltinStages::new().list();
    let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["paginate", "passthrough", "section-split", "summarize-tree"]
    );
    assert!(list.iter().all(|(_, s)| *s == StageSource::BuiltIn));
    assert!(BuiltinStages::new().stage("nope").is_none());
}

#[tokio::test]
async fn passthrough_returns_the_content_and_refuses_config() {
    let out = run("passthrough", "hello", json!({})).await.unwrap();
    assert_eq!(out, StageOutput::content("hello"));
    let err = run("passthrough", "hello", json!({"x": 1}))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StageError::Config { field, .. } if field == "x"),
        "{err}"
    );
}

#[tokio::test]
async fn json_array_gives_one_section_per_named_element() {
    // 60 elements of ~1.2K chars: above the minimum, so no merging.
    let doc = documents::json_array(60, 1100);
    let out = run("section-split", &doc, json!({})).await.unwrap();
    let sections = out.sections.unwrap();
    assert_eq!(sections.len(), 60);
    assert_eq!(sections[0].id, "device-0000");
    assert_eq!(sections[0].title, "device 0000");
    assert_eq!(sections[59].id, "device-0059");
    assert_eq!(out.metadata["format"], "json");
    // Each section is the element's own JSON text.
    let element: serde_json::Value = serde_json::from_str(&sections[7].content).unwrap();
    assert_eq!(element["id"], "dev-7");
    assert_eq!(out.content, doc, "the content itself is passed on");
}

#[tokio::test]
async fn json_array_ids_fall_back_to_id_then_label_then_index_and_are_unique() {
    let doc = json!([
        {"id": 17, "v": "a".repeat(600)},
        {"label": "Kitchen / Lights!", "v": "b".repeat(600)},
        {"name": "dup", "v": "c".repeat(600)},
        {"name": "dup", "v": "d".repeat(600)},
        {"other": true, "v": "e".repeat(600)},
        ["nested", "x".repeat(600)],
    ])
    .to_string();
    let sections = run("section-split", &doc, json!({}))
        .await
        .unwrap()
        .sections
        .unwrap();
    assert_eq!(
        ids(&sections),
        ["17", "Kitchen-Lights", "dup", "dup-2", "item-5", "item-6"]
    );
}

#[tokio::test]
async fn small_elements_are_merged_within_the_limits_and_stay_valid_json() {
    // 300 elements of ~150 chars each: merged into groups of at least 500 chars.
    let doc = documents::json_array(300, 40);
    let out = run(
        "section-split",
        &doc,
        json!({"minSectionSize": 500, "maxSectionSize": 2000}),
    )
    .await
    .unwrap();
    let sections = out.sections.unwrap();
    assert!(
        sections.len() < 300 && sections.len() > 20,
        "{}",
        sections.len()
    );
    let mut total = 0;
    for s in &sections[..sections.len() - 1] {
        let chars = s.content.chars().count();
        assert!((500..=2000).contains(&chars), "{} has {chars}", s.id);
        let group: Vec<serde_json::Value> = serde_json::from_str(&s.content).unwrap();
        total += group.len();
    }
    total += serde_json::from_str::<Vec<serde_json::Value>>(&sections.last().unwrap().content)
        .map_or(1, |g| g.len());
    assert_eq!(total, 300, "every element is in exactly one section");
    assert_eq!(sections[0].id, "device-0000..device-0003");
    assert!(
        sections[0]
            .title
            .contains("device 0000 … device 0003 (4 items)"),
        "{}",
        sections[0].title
    );
}

#[tokio::test]
async fn json_object_gives_one_section_per_key() {
    let doc = documents::json_object();
    let out = run("section-split", &doc, json!({})).await.unwrap();
    let sections = out.sections.unwrap();
    assert_eq!(ids(&sections), ["users", "config", "logs"]);
    let config: serde_json::Value = serde_json::from_str(&sections[1].content).unwrap();
    assert_eq!(config["retries"], 3);
}

#[tokio::test]
async fn oversized_sections_are_cut_at_line_breaks() {
    let doc = documents::json_object();
    let out = run(
        "section-split",
        &doc,
        json!({"minSectionSize": 100, "maxSectionSize": 1000}),
    )
    .await
    .unwrap();
    let sections = out.sections.unwrap();
    let logs: Vec<&Section> = sections
        .iter()
        .filter(|s| s.id.starts_with("logs."))
        .collect();
    assert!(logs.len() >= 5, "{:?}", ids(&sections));
    assert_eq!(logs[0].id, "logs.1");
    assert!(
        logs[0].title.starts_with("logs (part 1 of "),
        "{}",
        logs[0].title
    );
    for part in &logs {
        assert!(part.content.chars().count() <= 1000);
    }
    assert!(
        logs[..logs.len() - 1]
            .iter()
            .all(|p| p.content.ends_with('\n')),
        "cut after line breaks"
    );
    let joined: String = logs.iter().map(|p| p.content.as_str()).collect();
    let joined: serde_json::Value = serde_json::from_str(&joined).unwrap();
    let original = &serde_json::from_str::<serde_json::Value>(&doc).unwrap()["logs"];
    assert_eq!(&joined, original, "the parts put together are the value");
}

#[tokio::test]
async fn markdown_splits_on_level_two_headings_outside_fences() {
    let doc = documents::markdown(6, 900);
    let out = run("section-split", &doc, json!({})).await.unwrap();
    assert_eq!(out.metadata["format"], "markdown");
    let sections = out.sections.unwrap();
    // The intro (small) merges into the first topic.
    assert_eq!(
        ids(&sections),
        [
            "intro..topic-0-step-0",
            "topic-1-step-1",
            "topic-2-step-2",
            "topic-3-step-3",
            "topic-4-step-4",
            "topic-5-step-5"
        ]
    );
    assert!(sections[1].content.starts_with("## Topic 1: step 1\n"));
    assert!(
        sections[1].content.contains("## not a heading"),
        "fenced line stays inside"
    );
    assert!(sections[1].content.contains("### Details"));
    let joined: String = sections.iter().map(|s| s.content.as_str()).collect();
    assert_eq!(joined, doc, "sections put together are the document");
}

#[tokio::test]
async fn rust_source_splits_per_item_with_attributes_and_docs() {
    let doc = documents::rust_source(5, 30);
    let out = run("section-split", &doc, json!({"minSectionSize": 100}))
        .await
        .unwrap();
    assert_eq!(out.metadata["format"], "code");
    assert_eq!(out.metadata["language"], "rust");
    let sections = out.sections.unwrap();
    // The preamble and the struct are below the minimum and join their neighbours.
    assert_eq!(
        ids(&sections),
        [
            "preamble..compute_0",
            "compute_1",
            "compute_2",
            "compute_3",
            "compute_4",
            "Registry..impl-fmt-Display-for-Registry"
        ]
    );
    assert!(
        sections[1]
            .content
            .starts_with("/// Computes value 1.\n#[inline]\npub fn compute_1(")
    );
    assert_eq!(
        sections[1].title,
        "pub fn compute_1(input: &HashMap<String, u32>) -> u32"
    );
    let joined: String = sections.iter().map(|s| s.content.as_str()).collect();
    assert_eq!(joined, doc);
}

#[tokio::test]
async fn python_source_splits_per_def_and_class() {
    let doc = documents::python_source(4, 20);
    let out = run("section-split", &doc, json!({"minSectionSize": 50}))
        .await
        .unwrap();
    assert_eq!(out.metadata["language"], "python");
    let sections = out.sections.unwrap();
    // The preamble (45 chars) is below the minimum and joins the first function.
    assert_eq!(
        ids(&sections),
        [
            "preamble..handler_0",
            "handler_1",
            "handler_2",
            "handler_3",
            "Service"
        ]
    );
    assert!(sections[0].content.starts_with("\"\"\"Generated module."));
    assert!(sections[1].content.starts_with("@cached\ndef handler_1("));
    assert!(
        sections[4].content.contains("def stop(self)"),
        "methods stay in their class"
    );
}

#[test]
fn javascript_and_go_definitions_are_found() {
    let js = "import x from 'y';\n\nexport function alpha(a) {\n  return a;\n}\n\nexport const beta = async (b) => {\n  return b;\n};\n\nclass Gamma extends Base {\n  run() {}\n}\n";
    let result = split_sections(
        js,
        &SplitSettings {
            min_section_size: 1,
            ..SplitSettings::default()
        },
    );
    assert_eq!(
        ids(&result.sections),
        ["preamble", "alpha", "beta", "Gamma"]
    );
    let go = "package main\n\nimport \"fmt\"\n\ntype Server struct {\n\tName string\n}\n\nfunc (s *Server) Start() error {\n\treturn nil\n}\n\nfunc main() {\n\tfmt.Println(1)\n}\n";
    let result = split_sections(
        go,
        &SplitSettings {
            min_section_size: 1,
            ..SplitSettings::default()
        },
    );
    assert_eq!(result.language, Some("go"));
    assert_eq!(
        ids(&result.sections),
        ["preamble", "Server", "Start", "main"]
    );
}

#[tokio::test]
async fn xml_splits_per_child_of_the_root() {
    let doc = documents::xml(8, 700);
    let out = run("section-split", &doc, json!({})).await.unwrap();
    assert_eq!(out.metadata["format"], "xml");
    let sections = out.sections.unwrap();
    let expected: Vec<String> = (0..7)
        .map(|i| format!("d{i}"))
        .chain(["d7..summary".to_owned()])
        .collect();
    assert_eq!(ids(&sections), expected);
    assert!(sections[0].content.starts_with("<device id=\"d0\""));
    assert!(sections[0].content.ends_with("</device>"));
    assert_eq!(sections[0].title, "<device> d0");
}

#[tokio::test]
async fn broken_xml_is_split_as_text() {
    let doc = format!(
        "<a>\n{}\n\n<b>unclosed\n\n{}\n",
        "x ".repeat(400),
        "y ".repeat(400)
    );
    let out = run("section-split", &doc, json!({})).await.unwrap();
    assert_eq!(out.metadata["format"], "text");
}

#[tokio::test]
async fn yaml_splits_per_top_level_key_keeping_comments() {
    let doc = documents::yaml();
    let out = run("section-split", &doc, json!({"minSectionSize": 50}))
        .await
        .unwrap();
    assert_eq!(out.metadata["format"], "yaml");
    let sections = out.sections.unwrap();
    assert_eq!(ids(&sections), ["servers", "projects", "settings"]);
    assert!(sections[0].content.starts_with("# fleet\nservers:\n"));
    assert!(
        sections[1].content.ends_with("# tuning\n"),
        "a comment above a key ends the section before it"
    );
    let settings: serde_yaml_ng::Value = serde_yaml_ng::from_str(&sections[2].content).unwrap();
    assert_eq!(settings["settings"]["retries"], 3);
}

#[tokio::test]
async fn plain_text_splits_by_paragraphs_merged_to_the_minimum() {
    let doc = documents::prose(12, 300);
    let out = run(
        "section-split",
        &doc,
        json!({"minSectionSize": 800, "maxSectionSize": 2000}),
    )
    .await
    .unwrap();
    assert_eq!(out.metadata["format"], "text");
    let sections = out.sections.unwrap();
    assert_eq!(ids(&sections), ["s1..s3", "s4..s6", "s7..s9", "s10..s12"]);
    assert!(sections[0].title.starts_with("Paragraph 0 goes on"));
}

#[tokio::test]
async fn small_content_is_passed_on_without_sections() {
    let out = run("section-split", "{\"a\": 1, \"b\": 2}", json!({}))
        .await
        .unwrap();
    assert_eq!(out.sections, None);
    assert_eq!(out.metadata["sections"], 1);
}

#[tokio::test]
async fn large_content_is_held_to_max_sections() {
    let doc = documents::json_array(2000, 100);
    let sections = run("section-split", &doc, json!({"maxSections": 50}))
        .await
        .unwrap()
        .sections
        .unwrap();
    assert!(sections.len() <= 51, "{}", sections.len());
}

#[tokio::test]
async fn config_errors_name_the_field() {
    for (config, field) in [
        (json!({"minSectionSize": "big"}), "minSectionSize"),
        (json!({"maxSectionSize": 5}), "maxSectionSize"),
        (
            json!({"minSectionSize": 9000, "maxSectionSize": 1000}),
            "minSectionSize",
        ),
        (json!({"minSectionsize": 10}), "minSectionsize"),
    ] {
        let err = run("section-split", "x", config.clone()).await.unwrap_err();
        match &err {
            StageError::Config {
                stage, field: f, ..
            } => {
                assert_eq!(stage, "section-split");
                assert_eq!(f, field, "{config}");
            }
            other => panic!("{other}"),
        }
        assert!(
            err.to_string()
                .starts_with(&format!("stage section-split: config.{field}: ")),
            "{err}"
        );
    }
    let err = run("paginate", "x", json!({"pageSize": -1}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("config.pageSize"), "{err}");
    let err = run("summarize-tree", "x", json!({"tier": "huge"}))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("config.tier: expected one of fast, heavy"),
        "{err}"
    );
}

#[tokio::test]
async fn paginate_cuts_pages_at_line_breaks() {
    let doc: String = (0..3000)
        .map(|i| format!("line {i:05} of the log output\n"))
        .collect();
    let out = run("paginate", &doc, json!({})).await.unwrap();
    let pages = out.sections.unwrap();
    assert_eq!(out.metadata["format"], "pages");
    assert_eq!(out.metadata["display"], "firstPage");
    let fewest = doc.len().div_ceil(8000);
    assert!(
        (fewest..=fewest + 1).contains(&pages.len()),
        "cutting at line ends costs a page at most: {}",
        pages.len()
    );
    assert_eq!(ids(&pages)[..3], ["p1", "p2", "p3"]);
    assert_eq!(pages[0].title, format!("Page 1 of {}", pages.len()));
    assert!(pages.iter().all(|p| p.content.chars().count() <= 8000));
    assert!(pages.iter().all(|p| p.content.ends_with('\n')));
    let joined: String = pages.iter().map(|p| p.content.as_str()).collect();
    assert_eq!(joined, doc);
    // Multi-byte text is cut at character boundaries, counted in characters.
    let wide = "é".repeat(2500);
    let pages = run("paginate", &wide, json!({"pageSize": 1000}))
        .await
        .unwrap()
        .sections
        .unwrap();
    assert_eq!(
        pages
            .iter()
            .map(|p| p.content.chars().count())
            .collect::<Vec<_>>(),
        [1000, 1000, 500]
    );
    // Short content is one page: no sections.
    assert_eq!(
        run("paginate", "short", json!({})).await.unwrap().sections,
        None
    );
}
