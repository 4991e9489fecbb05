// The frozen 0.0.7 root module and export glue; `API_VERSION` is the includer's.

use abi_stable::StableAbi;
use abi_stable::library::{CheckTypeLayout, LibHeader, RootModule, RootModuleResult};
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RStr, RString};

/// The root module of plugin-api 0.0.7.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginModuleRef)))]
pub struct PluginModule {
    pub name: RStr<'static>,
    #[sabi(last_prefix_field)]
    pub hook: extern "C" fn(RStr<'_>, RStr<'_>) -> RString,
}

impl RootModule for PluginModuleRef {
    abi_stable::declare_root_module_statics! {PluginModuleRef}
    const BASE_NAME: &'static str = "mcpctl_plugin";
    const NAME: &'static str = "mcpctl plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings {
        version: RStr::from_str(API_VERSION),
    };
}

extern "C" fn hook(_name: RStr<'_>, message: RStr<'_>) -> RString {
    message.as_str().into()
}

fn root_module() -> PluginModuleRef {
    PluginModule {
        name: RStr::from_str("test-old-api"),
        hook,
    }
    .leak_into_prefix()
}

/// plugin-api 0.0.7's export glue, as its `export_plugin!` wrote it.
#[allow(non_upper_case_globals, unsafe_code)]
#[unsafe(no_mangle)]
pub static _1as_0lib_1header_0root_bmodule_bloader: LibHeader = {
    extern "C" fn constructor() -> RootModuleResult {
        abi_stable::library::__call_root_module_loader(root_module)
    }
    // SAFETY: the constructor returns the root module of type `PluginModuleRef`, erased by
    // abi_stable's own loader function, as `from_constructor` requires.
    unsafe { LibHeader::from_constructor::<PluginModuleRef>(constructor, CheckTypeLayout::Yes) }
};
