//! One module per resource: extract, check shape, call the service, map.
//! Handler name = `operation_id` = SDK method name.

pub mod auth;
pub mod health;
pub mod platforms;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// Registers every handler (and so every path of the spec).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .service(auth::auth_register)
            .service(auth::auth_login)
            .service(auth::auth_login_verify)
            .service(auth::auth_password_reset)
            .service(auth::auth_password_reset_confirm)
            .service(auth::auth_token)
            .service(auth::me_view)
            .service(platforms::platform_create)
            .service(platforms::platform_list)
            .service(platforms::platform_view)
            .service(platforms::platform_revoke),
    )
    .service(health::health_live)
    .service(health::health_ready)
    .service(health::metrics);
}
