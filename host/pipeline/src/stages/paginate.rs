//! `paginate`: content longer than `pageSize` characters becomes pages `p1`..`pN` (cut at line
//! breaks when possible). The client is shown the first page and a note naming the others,
//! which it fetches with `_resultId` + `_section` (the runner does the showing: the output's
//! `display` metadata is `firstPage`).

use serde_json::{Map, Value};

use crate::config::StageConfig;
use crate::split::sizing::cut;
use crate::stage::{BoxFuture, Section, Stage, StageContext, StageError, StageOutput};
use crate::toc::{DISPLAY_FIRST_PAGE, META_DISPLAY, META_FORMAT};

pub const NAME: &str = "paginate";
pub const DEFAULT_PAGE_SIZE: u64 = 8000;

pub struct Paginate;

fn page_size(config: &Map<String, Value>) -> Result<usize, StageError> {
    let config = StageConfig::new(NAME, config, &["pageSize"])?;
    let size = config.integer("pageSize", DEFAULT_PAGE_SIZE, 100, 10_000_000)?;
    usize::try_from(size).map_err(|_| config.error("pageSize", "too large for this machine"))
}

pub fn validate(config: &Map<String, Value>) -> Result<(), StageError> {
    page_size(config).map(|_| ())
}

/// `content` as pages of at most `page_size` characters (`None` when it fits on one).
pub fn paginate(content: &str, page_size: usize) -> Option<Vec<Section>> {
    if content.len() <= page_size || content.chars().count() <= page_size {
        return None;
    }
    let pages = cut(content, page_size);
    let count = pages.len();
    Some(
        pages
            .into_iter()
            .enumerate()
            .map(|(i, page)| Section {
                id: format!("p{}", i + 1),
                title: format!("Page {} of {count}", i + 1),
                content: page.to_owned(),
            })
            .collect(),
    )
}

impl Stage for Paginate {
    fn name(&self) -> &str {
        NAME
    }

    fn run<'a>(
        &'a self,
        content: String,
        ctx: &'a StageContext,
    ) -> BoxFuture<'a, Result<StageOutput, StageError>> {
        Box::pin(async move {
            let size = page_size(&ctx.config)?;
            let Some(pages) = paginate(&content, size) else {
                let mut output = StageOutput::content(content);
                output.metadata.insert("pages".into(), 1.into());
                return Ok(output);
            };
            let mut metadata = Map::new();
            metadata.insert(META_FORMAT.into(), "pages".into());
            metadata.insert(META_DISPLAY.into(), DISPLAY_FIRST_PAGE.into());
            metadata.insert("pages".into(), pages.len().into());
            metadata.insert("pageSize".into(), size.into());
            Ok(StageOutput {
                content,
                sections: Some(pages),
                metadata,
            })
        })
    }

    /// Content of at most `pageSize` bytes has at most that many characters: one page.
    fn unchanged_below(&self, config: &Map<String, Value>) -> usize {
        page_size(config).map_or(0, |size| size.saturating_add(1))
    }
}
