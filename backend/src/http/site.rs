//! `GET /config`: what the sign-in page needs before anyone signs in — the domain users sign
//! in to, whether to ask for one, the regions offered and the UI's languages. Nothing here is
//! a secret: it is what the operator's settings say.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::extract::Json;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show))
}

#[utoipa::path(
    get,
    path = "/config",
    tag = "config",
    responses(
        (status = 200, description = "What the sign-in page needs.", body = json::PublicConfig),
    ),
    security(()),
)]
async fn show(State(app): State<AppState>) -> Json<json::PublicConfig> {
    let config = &app.config;
    Json(json::PublicConfig {
        default_domain: config.user_domain_name.clone(),
        show_domain: config.show_domain_field,
        regions: config.regions.clone(),
        default_region: config.default_region.clone(),
        languages: json::LANGUAGES.iter().map(|l| l.to_string()).collect(),
    })
}
