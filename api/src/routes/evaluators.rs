//! Title-evaluation committees (R-CE-5): hrss grants and revokes the
//! `evaluator` role; an evaluator sees its own grants.

use crate::routes::extract::{Json, Query};
use std::collections::BTreeSet;

use actix_web::http::header;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Caller;
use crate::error::{ApiError, Problem};
use crate::pagination::Page;
use crate::parties::evaluators::{self, NewEvaluator};
use crate::routes::authorities::SeriesCode;
use crate::routes::non_blank;
use crate::routes::pagination::PageQuery;
use crate::routes::views::parties::{EvaluatorPage, EvaluatorView};
use crate::state::AppState;

/// A committee to grant the `evaluator` role.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "广州市工程系列建筑专业正高级工程师职称评审委员会", "id_card_no": "11010519491231002X", "series": ["engineering"]}))]
pub struct EvaluatorGrantRequest {
    /// The committee's name (评委会名称).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"\S",
        example = "广州市工程系列建筑专业正高级工程师职称评审委员会"
    )]
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    /// The ID number of the registered person whose account acts for the
    /// committee.
    #[schema(
        min_length = 18,
        max_length = 18,
        pattern = "^[0-9]{17}[0-9Xx]$",
        example = "11010519491231002X"
    )]
    #[validate(length(min = 18, max = 18, code = "id_card_invalid"))]
    pub id_card_no: String,
    /// The series it evaluates (评审专业（系列）): its checks find persons
    /// holding one of them.
    #[schema(min_items = 1, max_items = 40, inline)]
    #[validate(length(min = 1, max = 40))]
    pub series: Vec<SeriesCode>,
}

/// Grant the evaluator role
///
/// R-CE-5: hrss grants a title-evaluation committee (评审委员会) the
/// `evaluator` role, scoped to the series it evaluates, on the account of
/// a registered person (its officer). The role is an addition of issue 20
/// to the contract's roles. hrss only.
#[utoipa::path(
    tag = "evaluators",
    request_body = EvaluatorGrantRequest,
    responses(
        (status = 201, description = "The evaluator", body = EvaluatorView,
            headers(("Location" = String, description = "The evaluators"))),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No registered person has the ID number (`account_unknown`), an invalid ID number (`id_card_invalid`), or an unknown series (`series_unknown`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/evaluators")]
pub async fn evaluator_grant(
    state: web::Data<AppState>,
    auth: Caller,
    body: Json<EvaluatorGrantRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    b.validate()?;
    let name = non_blank(&b.name, "name")?;
    let id_card_no = crate::domain::IdCardNo::parse(&b.id_card_no)
        .map_err(|e| ApiError::domain("id_card_no", e))?;
    let series = b
        .series
        .iter()
        .map(SeriesCode::parse)
        .collect::<Result<BTreeSet<_>, _>>()?;
    let v = evaluators::grant(
        &state,
        &auth,
        NewEvaluator {
            name,
            id_card_no,
            series,
        },
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, "/api/v1/evaluators"))
        .json(EvaluatorView::from(v)))
}

/// List evaluators
///
/// hrss sees every committee's grant, revoked ones included (with
/// `revoked_at`); an evaluator its own. Oldest first.
#[utoipa::path(
    tag = "evaluators",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of evaluators", body = EvaluatorPage),
        (status = 403, description = "Neither hrss nor an evaluator (`forbidden`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/evaluators")]
pub async fn evaluator_list(
    state: web::Data<AppState>,
    auth: Caller,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    query.validate()?;
    let page = Page::try_from(&*query)?;
    Ok(HttpResponse::Ok().json(EvaluatorPage::from(
        evaluators::list(&state, &auth, page).await?,
    )))
}

/// Revoke an evaluator
///
/// R-CE-5: the committee's grant is removed; its account's next request no
/// longer holds the role. Revoking a revoked evaluator succeeds and
/// changes nothing. hrss only.
#[utoipa::path(
    tag = "evaluators",
    params(("id" = Uuid, Path, description = "Evaluator id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, description = "Not hrss (`forbidden`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/evaluators/{id}")]
pub async fn evaluator_revoke(
    state: web::Data<AppState>,
    auth: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    evaluators::revoke(&state, &auth, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
