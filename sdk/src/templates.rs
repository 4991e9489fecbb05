//! The project templates `mcpctl plugin new` writes: each a list of files (path, text) with
//! `{{name}}` (the plugin or stage name), `{{crate}}` (the crate name, `_` for `-`) and
//! `{{sdk}}` (the SDK dependency line) to fill in.

/// What a template makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// A Rust plugin (cdylib) with hooks.
    RustPlugin,
    /// A Rust library exporting a native stage.
    RustStage,
    /// A JS stage file with Node tests.
    JsStage,
}

macro_rules! files {
    ($dir:literal: $($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $dir, "/", $path)))),*]
    };
}

impl Template {
    /// The template's files: (path in the project, text with placeholders).
    pub fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Template::RustPlugin => {
                files!("rust-plugin": "Cargo.toml", "src/lib.rs", "tests/hooks.rs", "README.md", ".gitignore")
            }
            Template::RustStage => {
                files!("rust-stage": "Cargo.toml", "src/lib.rs", "tests/stage.rs", "README.md", ".gitignore")
            }
            Template::JsStage => {
                files!("js-stage": "package.json", "stage.js", "test/stage.test.mjs", "README.md")
            }
        }
    }

    /// The files with the placeholders filled in.
    pub fn render(self, name: &str, sdk_dependency: &str) -> Vec<(&'static str, String)> {
        let krate = name.replace('-', "_");
        self.files()
            .iter()
            .map(|(path, text)| {
                (
                    *path,
                    text.replace("{{name}}", name)
                        .replace("{{crate}}", &krate)
                        .replace("{{sdk}}", sdk_dependency),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        for template in [Template::RustPlugin, Template::RustStage, Template::JsStage] {
            for (path, text) in template.render("my-thing", "sdk = \"0.1\"") {
                assert!(!text.contains("{{"), "{path} of {template:?}");
            }
        }
    }
}
