//! CSV exports of the unit's compliance list, the records list and the
//! statistics (R-ST-1). Each checks role and scope first, then reads the
//! database in keyset pages of [`PAGE`] rows and yields each page as CSV
//! bytes, so an export of any size never sits in memory. The first chunk
//! starts with a UTF-8 byte-order mark, which spreadsheet programs need to
//! read Chinese text as UTF-8.

use std::future::Future;

use futures_util::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use ce_entity::{binding, person, record, unit};

use crate::auth::{Caller, Role};
use crate::authz::require_scoped;
use crate::domain::compliance::{Assessment, Policy};
use crate::domain::{Hours, Year};
use crate::error::ServiceError;
use crate::ledger::records::{self, RecordFilter};
use crate::oversight::statistics::{self, GroupBy, GroupPage};
use crate::state::AppState;

/// Rows read per query.
pub const PAGE: u64 = 1000;

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A stream of CSV chunks.
pub type Chunks = std::pin::Pin<Box<dyn Stream<Item = Result<Vec<u8>, ServiceError>> + 'static>>;

/// Runs `next` from `init` until it answers `None` (or fails, after which
/// the stream ends with the error).
fn paged<S, F, Fut>(init: S, next: F) -> Chunks
where
    S: 'static,
    F: FnMut(S) -> Fut + 'static,
    Fut: Future<Output = Result<Option<(Vec<u8>, S)>, ServiceError>> + 'static,
{
    Box::pin(futures_util::stream::unfold(
        (Some(init), next),
        |(st, mut next)| async move {
            let s = st?;
            match next(s).await {
                Ok(Some((bytes, s))) => Some((Ok(bytes), (Some(s), next))),
                Ok(None) => None,
                Err(e) => Some((Err(e), (None, next))),
            }
        },
    ))
}

/// CSV text of `rows`; with `header`, the BOM and the header line first.
fn csv_bytes(header: Option<&[&str]>, rows: &[Vec<String>]) -> Result<Vec<u8>, ServiceError> {
    let mut out = Vec::with_capacity(rows.len() * 128 + 64);
    if header.is_some() {
        out.extend_from_slice(BOM);
    }
    {
        let mut w = csv::Writer::from_writer(&mut out);
        if let Some(h) = header {
            w.write_record(h).map_err(anyhow::Error::from)?;
        }
        for r in rows {
            w.write_record(r).map_err(anyhow::Error::from)?;
        }
        w.flush().map_err(anyhow::Error::from)?;
    }
    Ok(out)
}

fn hours(h: Hours) -> String {
    h.as_f64().to_string()
}

fn tenths(t: i32) -> String {
    hours(Hours::from_tenths(u32::try_from(t).unwrap_or(0)))
}

/// Where a keyset export is.
struct Cursor<K> {
    after: Option<K>,
    first: bool,
    done: bool,
}

impl<K> Cursor<K> {
    fn start() -> Self {
        Self {
            after: None,
            first: true,
            done: false,
        }
    }
}

const RECORD_HEADER: &[&str] = &[
    "id",
    "person_id",
    "person_name",
    "id_card_masked",
    "year",
    "category",
    "series",
    "course_name",
    "hours",
    "source",
    "status",
    "provider_name",
    "unit_id",
    "result",
    "created_at",
];

/// The records the caller may list (same scope and filters as `GET
/// /records`), oldest first.
pub fn records(
    state: &AppState,
    auth: &Caller,
    filter: RecordFilter,
) -> Result<Chunks, ServiceError> {
    let query = records::listing(auth, &filter, state.db.get_database_backend())?;
    // Exports are heavy reads: the replica's when one serves (but a
    // push's records, `batch_id`, are read back from the primary).
    let db = records::list_db(state, &filter).clone();
    Ok(paged(Cursor::<Uuid>::start(), move |c| {
        records_page(db.clone(), query.clone(), c)
    }))
}

async fn records_page(
    db: DatabaseConnection,
    query: sea_orm::Select<record::Entity>,
    mut c: Cursor<Uuid>,
) -> Result<Option<(Vec<u8>, Cursor<Uuid>)>, ServiceError> {
    if c.done {
        return Ok(None);
    }
    let mut q = query.order_by_asc(record::Column::Id).limit(PAGE);
    if let Some(after) = c.after {
        q = q.filter(record::Column::Id.gt(after));
    }
    let rows = q.all(&db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.person_id).collect();
    let persons: std::collections::HashMap<Uuid, (String, String)> = person::Entity::find()
        .filter(person::Column::Id.is_in(ids))
        .all(&db)
        .await?
        .into_iter()
        .map(|p| (p.id, (p.name, p.id_card_masked)))
        .collect();
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let (name, masked) = persons.get(&r.person_id).cloned().unwrap_or_default();
            vec![
                r.id.to_string(),
                r.person_id.to_string(),
                name,
                masked,
                r.year.to_string(),
                r.category.clone(),
                r.series_code.clone().unwrap_or_default(),
                r.course_name.clone(),
                tenths(r.hours_tenths),
                r.source.clone(),
                r.status.to_string(),
                r.provider_name.clone().unwrap_or_default(),
                r.unit_id.map(|u| u.to_string()).unwrap_or_default(),
                r.result.clone().unwrap_or_default(),
                r.created_at.to_rfc3339(),
            ]
        })
        .collect();
    let bytes = csv_bytes(c.first.then_some(RECORD_HEADER), &lines)?;
    c.first = false;
    c.done = (rows.len() as u64) < PAGE;
    c.after = rows.last().map(|r| r.id).or(c.after);
    Ok(Some((bytes, c)))
}

const COMPLIANCE_HEADER: &[&str] = &[
    "person_id",
    "person_name",
    "id_card_masked",
    "year",
    "public_required",
    "public_approved",
    "public_missing",
    "professional_required",
    "professional_approved",
    "professional_missing",
    "elective_required",
    "elective_approved",
    "elective_missing",
    "complete",
    "exempt_reason",
];

fn compliance_line(p: &person::Model, a: &Assessment) -> Vec<String> {
    vec![
        p.id.to_string(),
        p.name.clone(),
        p.id_card_masked.clone(),
        a.year.to_string(),
        hours(a.public.required),
        hours(a.public.approved),
        hours(a.public.missing),
        hours(a.professional.required),
        hours(a.professional.approved),
        hours(a.professional.missing),
        hours(a.elective.required),
        hours(a.elective.approved),
        hours(a.elective.missing),
        a.complete.to_string(),
        a.exempt.map(|e| e.as_str().to_string()).unwrap_or_default(),
    ]
}

/// The rows of `GET /units/{id}/compliance` for a year, by person: admins
/// of the unit (another unit's: 404) and hrss.
pub async fn unit_compliance(
    state: &AppState,
    auth: &Caller,
    unit_id: Uuid,
    year: Year,
    complete: Option<bool>,
) -> Result<Chunks, ServiceError> {
    require_scoped(auth, Role::UnitAdmin, unit_id, true, "unit")?;
    if unit::Entity::find_by_id(unit_id)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound("unit"));
    }
    let policy = crate::reference::in_force(&state.db, year).await?;
    // The rows: a heavy read, the replica's when one serves.
    let db: DatabaseConnection = state.read_db().clone();
    let reference = state.reference.clone();
    Ok(paged(Cursor::<Uuid>::start(), move |c| {
        compliance_page(
            db.clone(),
            reference.clone(),
            policy.clone(),
            unit_id,
            complete,
            c,
        )
    }))
}

async fn compliance_page(
    db: DatabaseConnection,
    reference: std::sync::Arc<crate::reference::Reference>,
    policy: Policy,
    unit_id: Uuid,
    complete: Option<bool>,
    mut c: Cursor<Uuid>,
) -> Result<Option<(Vec<u8>, Cursor<Uuid>)>, ServiceError> {
    if c.done {
        return Ok(None);
    }
    let mut q = person::Entity::find()
        .filter(
            person::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(binding::Column::PersonId)
                    .from(binding::Entity)
                    .and_where(binding::Column::UnitId.eq(unit_id))
                    .and_where(
                        binding::Column::Status.eq(ce_entity::state::BindingStatus::Approved),
                    )
                    .to_owned(),
            ),
        )
        .order_by_asc(person::Column::Id)
        .limit(PAGE);
    if let Some(after) = c.after {
        q = q.filter(person::Column::Id.gt(after));
    }
    let persons = q.all(&db).await?;
    let ids: Vec<Uuid> = persons.iter().map(|p| p.id).collect();
    let assessed = crate::ledger::standing::assess_many(&db, &reference, &policy, &ids).await?;
    let lines: Vec<Vec<String>> = persons
        .iter()
        .filter_map(|p| assessed.get(&p.id).map(|a| (p, a)))
        .filter(|(_, a)| match complete {
            None => true,
            Some(true) => a.complete,
            // Behind: a year that owes nothing (R-ACC-6) is not.
            Some(false) => !a.complete && a.exempt.is_none(),
        })
        .map(|(p, a)| compliance_line(p, a))
        .collect();
    let bytes = csv_bytes(c.first.then_some(COMPLIANCE_HEADER), &lines)?;
    c.first = false;
    c.done = (persons.len() as u64) < PAGE;
    c.after = persons.last().map(|p| p.id).or(c.after);
    Ok(Some((bytes, c)))
}

const STATISTICS_HEADER: &[&str] = &[
    "year",
    "group_by",
    "key",
    "name",
    "persons",
    "persons_complete",
    "public_hours",
    "professional_hours",
    "elective_hours",
    "valid_certificates",
    "persons_exempt",
];

/// The statistics of `GET /statistics`, a page of groups at a time.
pub async fn statistics(
    state: &AppState,
    auth: &Caller,
    year: Year,
    group_by: GroupBy,
) -> Result<Chunks, ServiceError> {
    // A heavy read: the replica's when one serves, the scope's lookup too.
    let db: DatabaseConnection = state.read_db().clone();
    let scope = statistics::scope_of(&db, auth).await?;
    let policy = crate::reference::in_force(&db, year).await?;
    Ok(paged(
        (Some(GroupPage::After(None)), true),
        move |(page, first)| {
            statistics_page(
                db.clone(),
                scope.clone(),
                policy.clone(),
                group_by,
                page,
                first,
            )
        },
    ))
}

type StatisticsCursor = (Option<GroupPage>, bool);

async fn statistics_page(
    db: DatabaseConnection,
    scope: statistics::Scope,
    policy: Policy,
    group_by: GroupBy,
    page: Option<GroupPage>,
    first: bool,
) -> Result<Option<(Vec<u8>, StatisticsCursor)>, ServiceError> {
    let Some(page) = page else {
        return Ok(None);
    };
    let groups = statistics::groups_page(&db, &scope, &policy, group_by, &page, PAGE).await?;
    let next = match (&page, groups.last().and_then(|g| g.key.clone())) {
        (GroupPage::NullGroup, _) => None,
        (_, Some(k)) if groups.len() as u64 == PAGE => Some(GroupPage::After(Some(k))),
        _ => Some(GroupPage::NullGroup),
    };
    let lines: Vec<Vec<String>> = groups
        .into_iter()
        .map(|g| {
            vec![
                policy.year.to_string(),
                group_by.as_str().to_string(),
                g.key.unwrap_or_default(),
                g.name.unwrap_or_default(),
                g.persons.to_string(),
                g.persons_complete.to_string(),
                g.approved_hours.public.to_string(),
                g.approved_hours.professional.to_string(),
                g.approved_hours.elective.to_string(),
                g.valid_certificates.to_string(),
                g.persons_exempt.to_string(),
            ]
        })
        .collect();
    let bytes = csv_bytes(first.then_some(STATISTICS_HEADER), &lines)?;
    Ok(Some((bytes, (next, false))))
}
