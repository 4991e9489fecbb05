use result_cache::{DEFAULT_LIMIT, SizeLimit, human_bytes};

#[test]
fn sizes_parse_as_bytes_units_and_percentages() {
    let cases: &[(&str, SizeLimit)] = &[
        ("268435456", SizeLimit::Bytes(268_435_456)),
        ("512MB", SizeLimit::Bytes(512_000_000)),
        ("512mb", SizeLimit::Bytes(512_000_000)),
        ("512 MB", SizeLimit::Bytes(512_000_000)),
        ("512M", SizeLimit::Bytes(512_000_000)),
        ("1.5GB", SizeLimit::Bytes(1_500_000_000)),
        ("64MiB", SizeLimit::Bytes(64 << 20)),
        ("1.5GiB", SizeLimit::Bytes(3 << 29)),
        ("10KB", SizeLimit::Bytes(10_000)),
        ("2TiB", SizeLimit::Bytes(2 << 40)),
        ("100B", SizeLimit::Bytes(100)),
        ("10%", SizeLimit::PercentOfPartition(10.0)),
        ("0.5 %", SizeLimit::PercentOfPartition(0.5)),
    ];
    for (text, expected) in cases {
        assert_eq!(text.parse::<SizeLimit>().expect(text), *expected, "{text}");
    }
    assert_eq!(DEFAULT_LIMIT, SizeLimit::Bytes(256_000_000));
}

#[test]
fn bad_sizes_say_what_is_wrong() {
    let cases = [
        ("", "expected bytes"),
        ("MB", "expected bytes"),
        ("12 parsecs", "unknown unit \"parsecs\""),
        ("0", "more than 0"),
        ("0MB", "more than 0"),
        ("0%", "percentage"),
        ("150%", "percentage"),
        ("1.2.3MB", "expected bytes"),
        ("99999999999TB", "too large"),
        ("-5MB", "expected bytes"),
    ];
    for (text, fragment) in cases {
        let err = text.parse::<SizeLimit>().expect_err(text).to_string();
        assert!(err.contains(fragment), "{text}: {err}");
        assert!(err.contains(&format!("{text:?}")), "{text}: {err}");
    }
}

#[test]
fn sizes_deserialize_from_numbers_or_text() {
    let limit: SizeLimit = serde_json::from_str("1048576").expect("number");
    assert_eq!(limit, SizeLimit::Bytes(1_048_576));
    let limit: SizeLimit = serde_json::from_str("\"1.5GB\"").expect("text");
    assert_eq!(limit, SizeLimit::Bytes(1_500_000_000));
    let err = serde_json::from_str::<SizeLimit>("\"lots\"").expect_err("bad");
    assert!(
        err.to_string().contains("invalid cache size \"lots\""),
        "{err}"
    );
}

#[test]
fn a_percentage_is_taken_of_the_partition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let limit: SizeLimit = "10%".parse().expect("parses");
    let resolved = limit.resolve(dir.path()).expect("statvfs");
    // df reports the same partition's size, independently of our statvfs call.
    let out = std::process::Command::new("df")
        .args(["--output=size", "-B1"])
        .arg(dir.path())
        .output()
        .expect("df runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let total: u64 = text
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .expect("df size");
    let expected = total / 10;
    let diff = resolved.abs_diff(expected);
    assert!(diff <= total / 1000, "{resolved} vs df {expected}");
}

#[test]
fn human_sizes_use_decimal_units() {
    assert_eq!(human_bytes(999), "999 B");
    assert_eq!(human_bytes(1_500_000), "1.5 MB");
    assert_eq!(human_bytes(256_000_000), "256.0 MB");
}
