use llm::{KeySource, ProviderKind, Tier, load_providers, parse_providers};

const REFERENCE: &str = r#"
mcpd:
  listen: 127.0.0.1:3000
llm:
  - name: vllm-local
    type: openai-compatible
    baseUrl: http://localhost:8000/v1
    model: Qwen/Qwen3-32B
    tier: fast
  - name: anthropic
    type: anthropic
    model: claude-sonnet-4-20250514
    tier: heavy
    apiKeySecret: llm-keys
    apiKeyKey: ANTHROPIC_API_KEY
  - name: ollama
    type: openai-compatible
    baseUrl: http://127.0.0.1:11434/v1/
    model: llama3.2
    apiKeyEnv: OLLAMA_KEY
    maxConcurrent: 2
    timeoutMs: 5000
"#;

#[test]
fn the_reference_example_parses_with_defaults() {
    let providers = parse_providers(REFERENCE, "config.yaml").expect("parses");
    assert_eq!(providers.len(), 3);
    let vllm = &providers[0];
    assert_eq!(
        (vllm.name.as_str(), vllm.kind, vllm.tier),
        (
            "vllm-local",
            ProviderKind::OpenAiCompatible,
            Some(Tier::Fast)
        )
    );
    assert_eq!(vllm.base_url(), "http://localhost:8000/v1");
    assert_eq!(vllm.key_source(), KeySource::None);
    assert_eq!((vllm.max_concurrent, vllm.timeout_ms), (4, 60_000));
    let anthropic = &providers[1];
    assert_eq!(anthropic.base_url(), "https://api.anthropic.com");
    assert_eq!(
        anthropic.key_source(),
        KeySource::Secret {
            secret: "llm-keys".into(),
            key: "ANTHROPIC_API_KEY".into()
        }
    );
    let ollama = &providers[2];
    assert_eq!(
        ollama.base_url(),
        "http://127.0.0.1:11434/v1",
        "trailing / dropped"
    );
    assert_eq!(ollama.key_source(), KeySource::Env("OLLAMA_KEY".into()));
    assert_eq!((ollama.max_concurrent, ollama.timeout_ms), (2, 5_000));
    assert!(
        ollama.serves(Tier::Fast) && ollama.serves(Tier::Heavy),
        "no tier: both"
    );
}

fn error_of(yaml: &str) -> String {
    parse_providers(yaml, "config.yaml")
        .expect_err("invalid")
        .to_string()
}

#[test]
fn mistakes_are_named_with_their_field_path() {
    let cases = [
        (
            "llm:\n  - name: a\n    type: openai-compatible\n    baseUrl: http://x\n    model: m\n  - name: b\n    type: anthropic\n    model: m\n    baseURL: http://y\n",
            "config.yaml: llm[1].baseURL: unknown field `baseURL`",
        ),
        (
            "llm:\n  - name: a\n    type: openai\n    model: m\n",
            "config.yaml: llm[0].type: unknown variant `openai`",
        ),
        (
            "llm:\n  - name: a\n    type: anthropic\n    model: m\n    apiKey: sk-live-123\n",
            "config.yaml: llm[0].apiKey: API keys are not read from config.yaml",
        ),
        (
            "llm:\n  - name: a\n    type: openai-compatible\n    model: m\n",
            "config.yaml: llm[0].baseUrl: required for openai-compatible",
        ),
        (
            "llm:\n  - name: a\n    type: anthropic\n    model: m\n    apiKeySecret: s\n",
            "config.yaml: llm[0].apiKeyKey: apiKeySecret needs apiKeyKey",
        ),
        (
            "llm:\n  - name: a\n    type: anthropic\n    model: m\n  - name: a\n    type: anthropic\n    model: n\n",
            "config.yaml: llm[1].name: provider \"a\" is named twice",
        ),
        (
            "llm:\n  - name: a\n    type: anthropic\n    model: m\n    maxConcurrent: 0\n",
            "config.yaml: llm[0].maxConcurrent: must be between 1 and 256",
        ),
        (
            "llm:\n  - name: a\n    type: openai-compatible\n    baseUrl: ftp://x\n    model: m\n",
            "config.yaml: llm[0].baseUrl: \"ftp://x\" is not an http(s) URL",
        ),
        (
            "llm:\n  - name: a\n    type: anthropic\n    model: m\n    tier: medium\n",
            "config.yaml: llm[0].tier: unknown variant `medium`",
        ),
        ("llm: {}\n", "config.yaml: llm: invalid type: map"),
    ];
    for (yaml, expected) in cases {
        let err = error_of(yaml);
        assert!(err.starts_with(expected), "{err}\nexpected: {expected}");
        assert!(!err.contains('\n'), "one line: {err}");
        assert!(!err.contains("sk-live-123"), "no key in errors: {err}");
    }
}

#[test]
fn a_missing_file_or_section_means_no_providers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.yaml");
    assert!(load_providers(&path).expect("missing file").is_empty());
    std::fs::write(&path, "mcpd:\n  listen: 127.0.0.1:0\n").expect("write");
    assert!(load_providers(&path).expect("no llm section").is_empty());
    std::fs::write(&path, "llm:\n  - name: [\n").expect("write");
    let err = load_providers(&path).expect_err("bad yaml").to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(err.contains("line 2"), "location given: {err}");
}
