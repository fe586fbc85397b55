//! What every page's frame shows: the assets, who is signed in, the cart's size, the search box
//! and the form token.

use crate::db;
use crate::state::AppState;
use crate::web::PageError;
use crate::web::assets;
use crate::web::session::Visitor;

/// The frame of a page (header, search, cart link, sign-out form).
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The stylesheet's URL.
    pub css: &'static str,
    /// The script's URL.
    pub js: &'static str,
    /// The signed-in shopper's shown name.
    pub user_name: Option<String>,
    /// The signed-in account is a retailer's (its dashboard is linked).
    pub retailer: bool,
    /// Units in the cart.
    pub cart_count: i64,
    /// The session's form token (empty without a session: the page then has no forms).
    pub csrf: String,
    /// The search box's text.
    pub query: String,
}

impl Chrome {
    /// The frame for this visitor.
    pub async fn new(state: &AppState, visitor: &Visitor) -> Result<Chrome, PageError> {
        let cart_count = match &visitor.user {
            Some(user) => db::cart::count(&state.db, &user.id).await?,
            None => 0,
        };
        Ok(Chrome {
            css: assets::CSS.path.as_str(),
            js: assets::JS.path.as_str(),
            user_name: visitor.user.as_ref().map(|u| {
                u.display_name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .or_else(|| u.email.clone())
                    .or_else(|| u.phone.clone())
                    .unwrap_or_default()
            }),
            retailer: visitor.user.as_ref().is_some_and(|u| u.role == "retailer"),
            cart_count,
            csrf: visitor
                .session
                .as_ref()
                .map(|s| s.csrf_token.clone())
                .unwrap_or_default(),
            query: String::new(),
        })
    }

    /// The same frame with the search box showing `query`.
    pub fn with_query(mut self, query: &str) -> Chrome {
        self.query = query.to_owned();
        self
    }
}
