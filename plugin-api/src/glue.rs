//! The glue every plugin uses: [`guard`] runs a hook and turns a panic into
//! [`PluginError::Panicked`], and [`export_plugin!`](crate::export_plugin) exports the root
//! module with each hook wrapped in it.
//!
//! The catching has to happen inside the plugin: a panic that unwinds out of an `extern "C"`
//! function aborts the process, so the host could not catch it. Plugins and host must keep
//! the default `panic = "unwind"` for this to work (a plugin built with `panic = "abort"`
//! takes the host down on its first panic).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::hook::HookPoint;
use crate::outcome::{HookOutcome, HookResult, PluginError};

/// Runs `hook` for `point`, catching a panic as [`PluginError::Panicked`].
pub fn guard(
    point: HookPoint,
    hook: impl FnOnce() -> Result<HookOutcome, PluginError>,
) -> HookResult {
    match catch_unwind(AssertUnwindSafe(hook)) {
        Ok(result) => result.into(),
        Err(payload) => Err(PluginError::Panicked(
            format!("{point} panicked: {}", panic_message(payload.as_ref())).into(),
        ))
        .into(),
    }
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

/// The symbol under which abi_stable looks for a library's root module; checked against
/// abi_stable's own constant by a test, since [`export_plugin!`](crate::export_plugin) has to
/// spell it out.
pub const ROOT_MODULE_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

/// Exports a plugin's root module. Each hook is a
/// `fn(&HookContext<'_>, &str) -> Result<HookOutcome, PluginError>`, run inside [`guard`].
///
/// ```ignore
/// plugin_api::export_plugin! {
///     name: "my-plugin",
///     extends: ["gate"],
///     features: [plugin_api::features::LOG],
///     hooks: {
///         on_tools_list: tools_list,
///     },
/// }
/// ```
///
/// The hook names are the fields of [`HookSet`](crate::HookSet) (`on_session_create` ...
/// `on_prompt_get`); the version is the plugin crate's own (`CARGO_PKG_VERSION`).
///
/// An optional `stages: { "name": function, ... }` block exports native stages, each a
/// `fn(&str, &StageContext) -> Result<StageResult, PluginError>` ([`crate::stage`]); a library
/// with stages declares [`features::STAGES`](crate::features::STAGES).
#[macro_export]
macro_rules! export_plugin {
    (
        name: $name:expr,
        extends: [$($parent:expr),* $(,)?],
        features: [$($feature:expr),* $(,)?],
        hooks: { $($hook:ident : $func:path),* $(,)? }
        $(, stages: { $($stage:literal : $stage_fn:path),* $(,)? })? $(,)?
    ) => {
        fn __mcpctl_plugin_root_module() -> $crate::PluginModuleRef {
            const EXTENDS: &[$crate::abi_stable::std_types::RStr<'static>] =
                &[$($crate::abi_stable::std_types::RStr::from_str($parent)),*];
            const FEATURES: &[$crate::abi_stable::std_types::RStr<'static>] =
                &[$($crate::abi_stable::std_types::RStr::from_str($feature)),*];
            #[allow(unused_mut)]
            let mut hooks = $crate::HookSet::default();
            $(
                hooks.$hook = {
                    extern "C" fn __hook(
                        context: &$crate::HookContext<'_>,
                        message: $crate::abi_stable::std_types::RStr<'_>,
                    ) -> $crate::HookResult {
                        $crate::glue::guard($crate::glue::__point_of(stringify!($hook)), || {
                            $func(context, message.as_str())
                        })
                    }
                    ::core::option::Option::Some(__hook as $crate::HookFn)
                };
            )*
            const STAGES: &[$crate::stage::StageDecl] = &[$($(
                $crate::stage::StageDecl {
                    name: $crate::abi_stable::std_types::RStr::from_str($stage),
                    run: {
                        extern "C" fn __stage(
                            content: $crate::abi_stable::std_types::RStr<'_>,
                            context: $crate::abi_stable::std_types::RStr<'_>,
                        ) -> $crate::abi_stable::std_types::RResult<
                            $crate::abi_stable::std_types::RString,
                            $crate::PluginError,
                        > {
                            $crate::stage::run_typed($stage, content.as_str(), context.as_str(), $stage_fn)
                        }
                        __stage as $crate::stage::StageFn
                    },
                }
            ),*)?];
            $crate::PluginModule::leak($crate::module::Declaration {
                name: $name,
                version: env!("CARGO_PKG_VERSION"),
                extends: EXTENDS,
                features: FEATURES,
                hooks,
                stages: STAGES,
            })
        }

        /// The library header abi_stable's loader looks for (what `#[export_root_module]`
        /// writes, spelled out for edition 2024).
        #[allow(non_upper_case_globals)]
        #[unsafe(no_mangle)]
        pub static _1as_0lib_1header_0root_bmodule_bloader: $crate::abi_stable::library::LibHeader = {
            extern "C" fn __constructor() -> $crate::abi_stable::library::RootModuleResult {
                $crate::abi_stable::library::__call_root_module_loader(__mcpctl_plugin_root_module)
            }
            // SAFETY: the constructor returns the root module of type `PluginModuleRef`,
            // erased by abi_stable's own loader function, as `from_constructor` requires.
            unsafe {
                $crate::abi_stable::library::LibHeader::from_constructor::<$crate::PluginModuleRef>(
                    __constructor,
                    $crate::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}

/// The hook point of a [`HookSet`](crate::HookSet) field name, for messages of the glue.
#[doc(hidden)]
pub fn __point_of(field: &str) -> HookPoint {
    match field {
        "on_session_create" => HookPoint::SessionCreate,
        "on_session_destroy" => HookPoint::SessionDestroy,
        "on_initialize" => HookPoint::Initialize,
        "on_tools_list" => HookPoint::ToolsList,
        "on_tool_call_before" => HookPoint::ToolCallBefore,
        "on_tool_call_after" => HookPoint::ToolCallAfter,
        "on_resources_list" => HookPoint::ResourcesList,
        "on_resource_read" => HookPoint::ResourceRead,
        "on_prompts_list" => HookPoint::PromptsList,
        _ => HookPoint::PromptGet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exported_symbol_is_the_one_abi_stable_looks_up() {
        assert_eq!(
            ROOT_MODULE_SYMBOL,
            abi_stable::library::ROOT_MODULE_LOADER_NAME
        );
    }

    #[test]
    fn a_panicking_hook_becomes_an_error() {
        let result = guard(HookPoint::ToolsList, || panic!("boom {}", 42));
        assert_eq!(
            result.into_result(),
            Err(PluginError::Panicked(
                "onToolsList panicked: boom 42".into()
            ))
        );
    }

    #[test]
    fn a_hook_result_passes_unchanged() {
        let result = guard(HookPoint::ToolsList, || {
            Ok(HookOutcome::Modified("{}".into()))
        });
        assert_eq!(result.into_result(), Ok(HookOutcome::Modified("{}".into())));
    }
}
