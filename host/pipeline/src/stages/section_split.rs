//! `section-split`: sections by the content's structure (see [`crate::split`] for the
//! detection rules), fitted to `minSectionSize`..`maxSectionSize` characters. So that the
//! table of contents stays short, the minimum is raised for large content to give at most
//! `maxSections` sections (never above the maximum). Content that yields fewer than two
//! sections is passed on unchanged.

use serde_json::{Map, Value};

use crate::config::StageConfig;
use crate::split::sizing::{Limits, fit};
use crate::split::{Format, split};
use crate::stage::{BoxFuture, Section, Stage, StageContext, StageError, StageOutput};
use crate::toc::META_FORMAT;

pub const NAME: &str = "section-split";

pub struct SectionSplit;

/// The stage's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitSettings {
    pub min_section_size: usize,
    pub max_section_size: usize,
    pub max_sections: usize,
}

impl Default for SplitSettings {
    fn default() -> Self {
        SplitSettings {
            min_section_size: 500,
            max_section_size: 15_000,
            max_sections: 100,
        }
    }
}

impl SplitSettings {
    pub fn from_config(config: &Map<String, Value>) -> Result<Self, StageError> {
        let defaults = SplitSettings::default();
        let config = StageConfig::new(
            NAME,
            config,
            &["minSectionSize", "maxSectionSize", "maxSections"],
        )?;
        let min = config.integer(
            "minSectionSize",
            defaults.min_section_size as u64,
            1,
            10_000_000,
        )?;
        let max = config.integer(
            "maxSectionSize",
            defaults.max_section_size as u64,
            100,
            10_000_000,
        )?;
        let sections = config.integer("maxSections", defaults.max_sections as u64, 2, 10_000)?;
        if min > max {
            return Err(config.error(
                "minSectionSize",
                format!("{min} is larger than maxSectionSize ({max})"),
            ));
        }
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Ok(SplitSettings {
            min_section_size: size(min),
            max_section_size: size(max),
            max_sections: size(sections),
        })
    }
}

/// What [`split_sections`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitResult {
    pub format: Format,
    pub language: Option<&'static str>,
    /// Fewer than two means the content had nothing worth splitting.
    pub sections: Vec<Section>,
}

/// Detects `content`'s format and cuts it into sections within `settings`.
pub fn split_sections(content: &str, settings: &SplitSettings) -> SplitResult {
    let detected = split(content);
    let total = content.chars().count();
    let min = settings
        .min_section_size
        .max(total.div_ceil(settings.max_sections.max(1)))
        .min(settings.max_section_size);
    let limits = Limits {
        min,
        max: settings.max_section_size,
    };
    SplitResult {
        format: detected.format,
        language: detected.language,
        sections: fit(detected.pieces, detected.joiner, limits),
    }
}

pub fn validate(config: &Map<String, Value>) -> Result<(), StageError> {
    SplitSettings::from_config(config).map(|_| ())
}

impl Stage for SectionSplit {
    fn name(&self) -> &str {
        NAME
    }

    fn run<'a>(
        &'a self,
        content: String,
        ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move {
            let settings = SplitSettings::from_config(&ctx.config)?;
            let result = split_sections(&content, &settings);
            let mut metadata = Map::new();
            metadata.insert(META_FORMAT.into(), result.format.as_str().into());
            if let Some(language) = result.language {
                metadata.insert("language".into(), language.into());
            }
            metadata.insert("sections".into(), result.sections.len().into());
            let sections = (result.sections.len() >= 2).then_some(result.sections);
            Ok(StageOutput {
                content,
                sections,
                metadata,
            })
        })
    }
}
