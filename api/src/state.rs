//! What every handler can reach.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::JwtKeys;
use crate::config::Settings;
use crate::crypto::PiiVault;
use crate::service::persons::IdentityVerifier;
use crate::service::sms::SmsSender;

/// Shared application state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    pub pii: Arc<PiiVault>,
    pub sms: Arc<dyn SmsSender>,
    /// Real-name verification (R-ID-2).
    pub verifier: Arc<dyn IdentityVerifier>,
}
