//! Accounts: roles, passwords, access tokens, refresh tokens and the authenticated-user extractor.

pub mod account_check;
pub mod identifier;
pub mod jwt;
pub mod password;
pub mod refresh;
mod user;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use user::AuthUser;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Browses catalogs and tries garments on.
    Customer,
    /// Owns a catalog of models and products.
    Retailer,
    /// Manages retailers.
    Admin,
}

impl Role {
    /// The stable name stored in the database and tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Retailer => "retailer",
            Role::Admin => "admin",
        }
    }

    /// Parses a stored role name.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "customer" => Some(Role::Customer),
            "retailer" => Some(Role::Retailer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}
