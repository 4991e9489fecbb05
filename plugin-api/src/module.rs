//! The root module every plugin library exports, and its version.

use abi_stable::StableAbi;
use abi_stable::library::RootModule;
use abi_stable::package_version_strings;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RResult, RSlice, RStr};

use crate::context::HookContext;
use crate::hook::{HookFn, HookPoint, HookSet};
use crate::outcome::{HookOutcome, PluginError};
use crate::stage::StageDecl;

/// What a plugin library exports. A prefix type: later minor versions of plugin-api may append
/// fields (after the last one here), and a host reading an older plugin sees them as absent.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
#[sabi(missing_field(option))]
pub struct PluginModule {
    /// The plugin's name (what a project's `proxyModel` names).
    pub name: RStr<'static>,
    /// The plugin's own version.
    pub version: RStr<'static>,
    /// The plugins it extends, in order (lifecycle hooks chain in this order).
    pub extends: RSlice<'static, RStr<'static>>,
    /// The host features ([`crate::features`]) it uses.
    pub features: RSlice<'static, RStr<'static>>,
    pub on_session_create:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_session_destroy:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_initialize:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_tools_list:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_tool_call_before:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_tool_call_after:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_resources_list:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_resource_read:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_prompts_list:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    pub on_prompt_get:
        Option<extern "C" fn(&HookContext<'_>, RStr<'_>) -> RResult<HookOutcome, PluginError>>,
    /// The native stages it exports ([`crate::stage`]).
    #[sabi(last_prefix_field)]
    pub stages: RSlice<'static, StageDecl>,
}

impl RootModule for PluginModuleRef {
    abi_stable::declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "mcpctl_plugin";
    const NAME: &'static str = "mcpctl plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// A plugin's declaration, as [`crate::export_plugin!`] writes it.
#[derive(Debug, Clone, Copy)]
pub struct Declaration {
    pub name: &'static str,
    pub version: &'static str,
    pub extends: &'static [RStr<'static>],
    pub features: &'static [RStr<'static>],
    pub hooks: HookSet,
    pub stages: &'static [StageDecl],
}

impl PluginModule {
    /// The root module for `declaration`, leaked (a library's root module lives as long as
    /// the process: libraries are never unloaded).
    pub fn leak(declaration: Declaration) -> PluginModuleRef {
        let h = declaration.hooks;
        PluginModule {
            name: RStr::from_str(declaration.name),
            version: RStr::from_str(declaration.version),
            extends: RSlice::from_slice(declaration.extends),
            features: RSlice::from_slice(declaration.features),
            on_session_create: h.on_session_create,
            on_session_destroy: h.on_session_destroy,
            on_initialize: h.on_initialize,
            on_tools_list: h.on_tools_list,
            on_tool_call_before: h.on_tool_call_before,
            on_tool_call_after: h.on_tool_call_after,
            on_resources_list: h.on_resources_list,
            on_resource_read: h.on_resource_read,
            on_prompts_list: h.on_prompts_list,
            on_prompt_get: h.on_prompt_get,
            stages: RSlice::from_slice(declaration.stages),
        }
        .leak_into_prefix()
    }
}

impl PluginModuleRef {
    /// The hooks the module implements.
    pub fn hook_set(self) -> HookSet {
        HookSet {
            on_session_create: self.on_session_create(),
            on_session_destroy: self.on_session_destroy(),
            on_initialize: self.on_initialize(),
            on_tools_list: self.on_tools_list(),
            on_tool_call_before: self.on_tool_call_before(),
            on_tool_call_after: self.on_tool_call_after(),
            on_resources_list: self.on_resources_list(),
            on_resource_read: self.on_resource_read(),
            on_prompts_list: self.on_prompts_list(),
            on_prompt_get: self.on_prompt_get(),
        }
    }

    /// The native stages it exports.
    pub fn stage_decls(self) -> &'static [StageDecl] {
        self.stages().as_slice()
    }

    /// The function for `point`, if the module implements it.
    pub fn hook(self, point: HookPoint) -> Option<HookFn> {
        self.hook_set().get(point)
    }
}
