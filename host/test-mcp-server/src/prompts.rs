//! The one prompt: `greeting {name}` → `Hello, NAME!`.

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{PromptMessage, Role};
use rmcp::schemars::{self, JsonSchema};
use rmcp::{prompt, prompt_router};
use serde::Deserialize;

use crate::server::TestServer;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GreetingArgs {
    /// Who to greet.
    pub name: String,
}

pub fn router() -> PromptRouter<TestServer> {
    TestServer::greeting_prompts()
}

#[prompt_router(router = "greeting_prompts", vis = "pub(crate)")]
impl TestServer {
    /// A greeting for NAME.
    #[prompt(name = "greeting")]
    async fn greeting(&self, Parameters(args): Parameters<GreetingArgs>) -> Vec<PromptMessage> {
        vec![PromptMessage::new_text(
            Role::User,
            format!("Hello, {}!", args.name),
        )]
    }
}
