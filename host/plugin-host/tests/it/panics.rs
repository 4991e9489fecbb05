//! A plugin that panics fails that request, is logged, and the host goes on.

use std::io::Write;
use std::sync::{Arc, Mutex};

use plugin_host::{Call, DispatchError, HookPoint, Outcome, PluginError};

use crate::support::{TestHost, load, session_id};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_panicking_hook_fails_the_request_is_logged_and_the_host_survives() {
    let (host, refused) = load(&["test-plugin-panicking", "gate"]);
    assert!(refused.is_empty(), "{refused:?}");
    let services = TestHost::default();
    let session = session_id();
    let call = Call {
        project: "demo",
        session_id: session,
        server: None,
    };
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .finish();
    let result = tracing::subscriber::with_default(subscriber, || {
        host.dispatch(
            "test-panicking",
            HookPoint::ToolsList,
            &call,
            &services,
            r#"{"tools":[]}"#,
        )
    });

    let expected =
        format!("onToolsList panicked: test plugin panics on purpose (session {session})");
    assert_eq!(
        result,
        Err(DispatchError::Plugin {
            plugin: "test-panicking".into(),
            hook: HookPoint::ToolsList,
            error: PluginError::Panicked(expected.as_str().into()),
        })
    );
    let logged = String::from_utf8(log.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(logged.contains("ERROR"), "{logged}");
    assert!(logged.contains("plugin=\"test-panicking\""), "{logged}");
    assert!(logged.contains("hook=\"onToolsList\""), "{logged}");
    assert!(logged.contains(&expected), "{logged}");

    // The same plugin, and the others, keep working.
    assert_eq!(
        host.dispatch(
            "test-panicking",
            HookPoint::PromptsList,
            &call,
            &services,
            r#"{"prompts":[]}"#
        ),
        Ok(Outcome::Modified(r#"{"prompts":[]}"#.into()))
    );
    let again = host.dispatch(
        "test-panicking",
        HookPoint::ToolsList,
        &call,
        &services,
        "{}",
    );
    assert!(matches!(
        again,
        Err(DispatchError::Plugin {
            error: PluginError::Panicked(_),
            ..
        })
    ));
    assert!(matches!(
        host.dispatch(
            "gate",
            HookPoint::ToolsList,
            &call,
            &services,
            r#"{"tools":[]}"#
        ),
        Ok(Outcome::Modified(_))
    ));
}
