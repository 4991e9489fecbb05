//! The host's side of the host handle: [`HostServices`] is what mcplocal implements, and this
//! module turns it into the [`HostHandle`] a plugin calls (a static table of `extern "C"`
//! functions over type-erased per-call data).
//!
//! The functions catch panics of the host implementation: a panic must not unwind into the
//! plugin (that would abort the process), so it becomes a [`PluginError::Host`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use abi_stable::marker_type::ErasedObject;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_types::RRef;
use abi_stable::std_types::{RErr, ROk, ROption, RResult, RStr, RString};
use plugin_api::schema::PromptEntry;
use plugin_api::{
    ContentKind, HookContext, HostHandle, HostVTable, HostVTableRef, LogLevel, PluginError,
};

use crate::host::Call;

/// What plugins can ask of the host, for the session of `call`. Errors are one line for the
/// plugin (and so, usually, the client) to read.
pub trait HostServices {
    /// The project's prompts.
    fn prompts(&self, call: &Call<'_>) -> Result<Vec<PromptEntry>, String>;

    /// Creates a prompt request `name` with `content` in the project.
    fn create_prompt_request(
        &self,
        call: &Call<'_>,
        name: &str,
        content: &str,
    ) -> Result<(), String>;

    /// Sends `notifications/tools/list_changed` to the session's client.
    fn notify_tools_list_changed(&self, call: &Call<'_>) -> Result<(), String>;

    /// Logs a line of `plugin`; by default through `tracing` (target `mcpctl::plugin`).
    fn log(&self, call: &Call<'_>, plugin: &str, level: LogLevel, message: &str) {
        let (project, session) = (call.project, call.session_id);
        match level {
            LogLevel::Error => {
                tracing::error!(target: "mcpctl::plugin", plugin, project, session, "{message}")
            }
            LogLevel::Warn => {
                tracing::warn!(target: "mcpctl::plugin", plugin, project, session, "{message}")
            }
            LogLevel::Info => {
                tracing::info!(target: "mcpctl::plugin", plugin, project, session, "{message}")
            }
            LogLevel::Debug => {
                tracing::debug!(target: "mcpctl::plugin", plugin, project, session, "{message}")
            }
        }
    }

    /// Runs the project's content pipeline; `None` when the content is unchanged. The default
    /// (a host without pipelines) passes everything through.
    fn run_pipeline(
        &self,
        call: &Call<'_>,
        kind: ContentKind,
        source: &str,
        content: &str,
    ) -> Result<Option<String>, String> {
        let _ = (call, kind, source, content);
        Ok(None)
    }
}

/// What the handle's data points to during one hook call.
struct CallData<'a> {
    services: &'a dyn HostServices,
    call: &'a Call<'a>,
    /// The plugin whose implementation is running (logs are attributed to it).
    plugin: &'a str,
}

/// Runs `f` with the context a hook of `plugin` gets for `call`, with a handle on `services`:
/// for running a hook's Rust code in-process, outside a library (tests, benchmarks).
pub fn with_context<R>(
    services: &dyn HostServices,
    call: &Call<'_>,
    plugin: &str,
    f: impl FnOnce(&HookContext<'_>) -> R,
) -> R {
    let data = CallData {
        services,
        call,
        plugin,
    };
    f(&HookContext::new(
        call.project,
        call.session_id,
        call.server,
        handle(&data),
    ))
}

/// The handle for one hook call.
#[allow(unsafe_code)]
fn handle<'a>(data: &'a CallData<'a>) -> HostHandle<'a> {
    HostHandle {
        // SAFETY: the erased reference is only ever turned back into `&CallData` by the
        // functions of `vtable()` below, which are the only functions this handle carries; it
        // borrows `data` for `'a`, and the plugin only sees it during the call.
        data: unsafe { RRef::new(data).transmute::<ErasedObject>() },
        vtable: vtable(),
    }
}

#[allow(unsafe_code)]
fn call_data<'a>(data: RRef<'a, ErasedObject>) -> &'a CallData<'a> {
    // SAFETY: every handle is made by `handle()` from a `&CallData` that outlives the call
    // (see there), so this reverses that erasure.
    unsafe { data.transmute_into_ref::<CallData<'a>>() }
}

fn vtable() -> HostVTableRef {
    static VTABLE: OnceLock<HostVTableRef> = OnceLock::new();
    *VTABLE.get_or_init(|| {
        HostVTable {
            prompts,
            create_prompt_request,
            notify_tools_list_changed,
            log,
            run_pipeline,
        }
        .leak_into_prefix()
    })
}

/// Runs a host function, turning its error or panic into a [`PluginError::Host`].
fn host_call<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> RResult<T, PluginError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => ROk(value),
        Ok(Err(message)) => RErr(PluginError::Host(message.into())),
        Err(_) => RErr(PluginError::Host(
            format!("the host failed while {what}").into(),
        )),
    }
}

extern "C" fn prompts(data: RRef<'_, ErasedObject>) -> RResult<RString, PluginError> {
    let d = call_data(data);
    host_call("listing prompts", || {
        let prompts = d.services.prompts(d.call)?;
        serde_json::to_string(&prompts)
            .map(RString::from)
            .map_err(|e| e.to_string())
    })
}

extern "C" fn create_prompt_request(
    data: RRef<'_, ErasedObject>,
    name: RStr<'_>,
    content: RStr<'_>,
) -> RResult<(), PluginError> {
    let d = call_data(data);
    host_call("creating a prompt request", || {
        d.services
            .create_prompt_request(d.call, name.as_str(), content.as_str())
    })
}

extern "C" fn notify_tools_list_changed(data: RRef<'_, ErasedObject>) -> RResult<(), PluginError> {
    let d = call_data(data);
    host_call("notifying the client", || {
        d.services.notify_tools_list_changed(d.call)
    })
}

extern "C" fn log(data: RRef<'_, ErasedObject>, level: LogLevel, message: RStr<'_>) {
    let d = call_data(data);
    let _ = host_call("logging", || {
        d.services.log(d.call, d.plugin, level, message.as_str());
        Ok(())
    });
}

extern "C" fn run_pipeline(
    data: RRef<'_, ErasedObject>,
    kind: ContentKind,
    source: RStr<'_>,
    content: RStr<'_>,
) -> RResult<ROption<RString>, PluginError> {
    let d = call_data(data);
    host_call("running the content pipeline", || {
        d.services
            .run_pipeline(d.call, kind, source.as_str(), content.as_str())
            .map(|out| out.map(RString::from).into())
    })
}
