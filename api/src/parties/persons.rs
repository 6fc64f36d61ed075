//! Persons: profile, series per year, real-name verification, and who may
//! see them (R-ID-2, R-PU-2, R-PU-4).
//!
//! ID and phone numbers are shown unmasked only to the holder, the holder's
//! current unit and hrss; authorities see them masked (PIPL).

use crate::audit::{self, Change};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use ce_entity::{binding, person, person_series};

use crate::auth::{Caller, Role};
use crate::db::unique;
use crate::domain::{IdCardNo, PersonName, Phone, Year};
use crate::error::{ServiceError, UniqueViolation};
use crate::pagination::Page;
use crate::review::check_version;
use crate::state::AppState;

pub use crate::domain::party::Education;
pub use crate::ports::identity::{FormatVerifier, IdentityVerifier};

impl Education {
    fn as_str(self) -> &'static str {
        match self {
            Education::Secondary => "secondary",
            Education::JuniorCollege => "junior_college",
            Education::Bachelor => "bachelor",
            Education::Master => "master",
            Education::Doctorate => "doctorate",
            Education::Other => "other",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.into())).ok()
    }
}

/// The series a person must satisfy in one year (R-PU-2, R-PU-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesYear {
    pub year: i32,
    /// Series codes (`engineering`, `nursing`, …).
    pub series: Vec<String>,
}

/// What a person's membership of a series says beyond the years held
/// (R-ACC-6, R-ARC-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesTerms {
    pub series: String,
    /// Accounting: the day of the qualification or of the first accounting
    /// job — duty starts the next year (R-ACC-6). Archives: the first day in
    /// the post (R-ARC-1).
    pub started_on: Option<chrono::NaiveDate>,
    /// Accounting: a student who earned a junior title at school studies
    /// until this day and owes nothing while studying (R-ACC-6).
    pub studying_until: Option<chrono::NaiveDate>,
    /// Archives: holds an archives degree (大专以上, R-ARC-1).
    pub has_degree: Option<bool>,
}

/// A person. ID and phone numbers are masked (`440106********123X`,
/// `138****1234`) for everyone but the holder, their unit and hrss.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: Uuid,
    pub name: String,
    /// Resident ID number, masked unless the caller may see it.
    pub id_card_no: String,
    /// Bound mobile phone, masked unless the caller may see it.
    pub phone: Option<String>,
    /// Passed real-name verification (R-ID-2).
    pub verified: bool,
    pub education: Option<Education>,
    /// Professional title (职称), free text.
    pub title: Option<String>,
    /// Series per year, newest first (R-PU-2, R-PU-4).
    pub series: Vec<SeriesYear>,
    /// The unit the person is bound to now (R-PU-1).
    pub current_unit_id: Option<Uuid>,
    /// The district of the person's information collection (信息采集所属区).
    pub region: Option<String>,
    /// Per series, when the duty or post started and the rest (R-ACC-6,
    /// R-ARC-1), by series code.
    pub series_terms: Vec<SeriesTerms>,
    pub created_at: chrono::DateTime<Utc>,
    pub version: i32,
}

/// The series terms of a person, by series code.
pub async fn series_terms<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
) -> Result<Vec<SeriesTerms>, ServiceError> {
    use ce_entity::person_series_term;
    Ok(person_series_term::Entity::find()
        .filter(person_series_term::Column::PersonId.eq(person_id))
        .order_by_asc(person_series_term::Column::SeriesCode)
        .all(conn)
        .await?
        .into_iter()
        .map(|t| SeriesTerms {
            series: t.series_code,
            started_on: t.started_on,
            studying_until: t.studying_until,
            has_degree: t.has_degree,
        })
        .collect())
}

/// A page of persons.
#[derive(Debug, Clone)]
pub struct PersonPage {
    pub items: Vec<Person>,
    pub next_cursor: Option<String>,
}

/// 409: the phone number is another person's.
pub fn phone_taken() -> ServiceError {
    ServiceError::taken(
        "phone",
        "phone_taken",
        "this phone number is already bound to another account",
    )
}

/// The unit a person is bound to now.
pub async fn current_unit<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
) -> Result<Option<Uuid>, ServiceError> {
    Ok(binding::Entity::find()
        .filter(binding::Column::PersonId.eq(person_id))
        .filter(binding::Column::Status.eq(ce_entity::state::BindingStatus::Approved))
        .one(conn)
        .await?
        .map(|b| b.unit_id))
}

/// The units many persons are bound to now, in one query.
pub async fn current_units<C: ConnectionTrait>(
    conn: &C,
    persons: &[Uuid],
) -> Result<HashMap<Uuid, Uuid>, ServiceError> {
    Ok(binding::Entity::find()
        .filter(binding::Column::PersonId.is_in(persons.iter().copied()))
        .filter(binding::Column::Status.eq(ce_entity::state::BindingStatus::Approved))
        .all(conn)
        .await?
        .into_iter()
        .map(|b| (b.person_id, b.unit_id))
        .collect())
}

/// The registered persons among these keyed ID hashes, by hash (one query
/// per [`crate::db::IN_LIST_CHUNK`] hashes): what a push or an import
/// matches its rows against.
pub async fn by_id_hashes<C: ConnectionTrait>(
    conn: &C,
    hashes: &[String],
) -> Result<HashMap<String, person::Model>, ServiceError> {
    let mut out = HashMap::with_capacity(hashes.len());
    for chunk in hashes.chunks(crate::db::IN_LIST_CHUNK) {
        for p in person::Entity::find()
            .filter(person::Column::IdCardHash.is_in(chunk.iter().cloned()))
            .all(conn)
            .await?
        {
            out.insert(p.id_card_hash.clone(), p);
        }
    }
    Ok(out)
}

/// Builds the view; `reveal` unmasks ID and phone numbers.
pub async fn view<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    p: &person::Model,
    reveal: bool,
) -> Result<Person, ServiceError> {
    let mut one = views(state, conn, std::slice::from_ref(p), reveal).await?;
    Ok(one.remove(0))
}

/// The views of a page of persons, with three queries for the whole page
/// (series by year, current units, series terms) rather than three a person.
pub async fn views<C: ConnectionTrait>(
    state: &AppState,
    conn: &C,
    persons: &[person::Model],
    reveal: bool,
) -> Result<Vec<Person>, ServiceError> {
    use ce_entity::person_series_term;
    let ids: Vec<Uuid> = persons.iter().map(|p| p.id).collect();
    let mut by_year: HashMap<Uuid, BTreeMap<i32, Vec<String>>> = HashMap::new();
    let mut terms: HashMap<Uuid, Vec<SeriesTerms>> = HashMap::new();
    let mut units = HashMap::new();
    for chunk in ids.chunks(crate::db::IN_LIST_CHUNK) {
        for s in person_series::Entity::find()
            .filter(person_series::Column::PersonId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            by_year
                .entry(s.person_id)
                .or_default()
                .entry(s.year)
                .or_default()
                .push(s.series_code);
        }
        for t in person_series_term::Entity::find()
            .filter(person_series_term::Column::PersonId.is_in(chunk.iter().copied()))
            .order_by_asc(person_series_term::Column::SeriesCode)
            .all(conn)
            .await?
        {
            terms.entry(t.person_id).or_default().push(SeriesTerms {
                series: t.series_code,
                started_on: t.started_on,
                studying_until: t.studying_until,
                has_degree: t.has_degree,
            });
        }
        units.extend(current_units(conn, chunk).await?);
    }
    let mut out = Vec::with_capacity(persons.len());
    for p in persons {
        let (id_card_no, phone) = if reveal {
            let phone = match &p.phone_enc {
                Some(enc) => Some(state.pii.decrypt(enc)?),
                None => None,
            };
            (state.pii.decrypt(&p.id_card_enc)?, phone)
        } else {
            (p.id_card_masked.clone(), p.phone_masked.clone())
        };
        out.push(Person {
            id: p.id,
            name: p.name.clone(),
            id_card_no,
            phone,
            verified: p.verified,
            education: p.education.as_deref().and_then(Education::parse),
            title: p.title.clone(),
            series: by_year
                .remove(&p.id)
                .unwrap_or_default()
                .into_iter()
                .rev()
                .map(|(year, mut series)| {
                    series.sort();
                    SeriesYear { year, series }
                })
                .collect(),
            current_unit_id: units.get(&p.id).copied(),
            region: p.region.clone(),
            series_terms: terms.remove(&p.id).unwrap_or_default(),
            created_at: p.created_at,
            version: p.version,
        });
    }
    Ok(out)
}

/// Whether the caller may see the person in full, given the unit the
/// person is bound to now: the person themself, hrss, the admins of that
/// unit (the rule [`require_full_access`] applies, for a caller that read
/// the unit along with other things).
pub fn may_see_in_full(auth: &Caller, person_id: Uuid, current_unit: Option<Uuid>) -> bool {
    auth.has_role(Role::Hrss)
        || crate::authz::holds(auth, Role::Person, person_id)
        || current_unit.is_some_and(|u| crate::authz::holds(auth, Role::UnitAdmin, u))
}

async fn access(
    state: &AppState,
    auth: &Caller,
    p: &person::Model,
) -> Result<Option<bool>, ServiceError> {
    if auth.has_role(Role::Hrss) || crate::authz::holds(auth, Role::Person, p.id) {
        return Ok(Some(true));
    }
    if auth.has_role(Role::UnitAdmin)
        && let Some(unit) = current_unit(&state.db, p.id).await?
        && crate::authz::holds(auth, Role::UnitAdmin, unit)
    {
        return Ok(Some(true));
    }
    if auth.has_role(Role::Authority) {
        return Ok(Some(false));
    }
    Ok(None)
}

/// The person, if the caller may see them in full: the person themself,
/// the admins of their unit now, hrss. Other roles get 403, everyone else
/// 404 (their hours, standing and certificates are theirs and their unit's).
pub async fn require_full_access(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
) -> Result<person::Model, ServiceError> {
    crate::authz::require_any(auth, &[Role::Person, Role::UnitAdmin, Role::Hrss])?;
    let p = person::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    if access(state, auth, &p).await? == Some(true) {
        Ok(p)
    } else {
        Err(ServiceError::NotFound("person"))
    }
}

/// Roles that may read persons at all; the rest get 403.
pub fn require_reader(auth: &Caller) -> Result<(), ServiceError> {
    crate::authz::require_any(
        auth,
        &[Role::Person, Role::UnitAdmin, Role::Authority, Role::Hrss],
    )
}

/// One person, as the caller may see them.
pub async fn get(state: &AppState, auth: &Caller, id: Uuid) -> Result<Person, ServiceError> {
    require_reader(auth)?;
    let p = person::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    match access(state, auth, &p).await? {
        Some(reveal) => view(state, &state.db, &p, reveal).await,
        None => Err(ServiceError::NotFound("person")),
    }
}

/// Filters of `GET /persons`.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    pub unit_id: Option<Uuid>,
    pub series: Option<String>,
    pub year: Option<i32>,
    pub verified: Option<bool>,
    pub id_card_no: Option<IdCardNo>,
    pub name: Option<String>,
}

/// Persons the caller may see, filtered: hrss all; a unit admin its units'
/// bound persons; an authority all, masked; a person themself.
pub async fn list(
    state: &AppState,
    auth: &Caller,
    f: PersonFilter,
    page: Page,
) -> Result<PersonPage, ServiceError> {
    require_reader(auth)?;
    let mut q = person::Entity::find();
    let reveal;
    if auth.has_role(Role::Hrss) {
        reveal = true;
    } else if auth.has_role(Role::UnitAdmin) {
        let mine = crate::authz::orgs(auth, Role::UnitAdmin);
        let units = match f.unit_id {
            Some(u) if mine.contains(&u) => vec![u],
            Some(_) => return Err(ServiceError::NotFound("unit")),
            None => mine,
        };
        q = q.filter(
            Expr::col(person::Column::Id).in_subquery(
                Query::select()
                    .column(binding::Column::PersonId)
                    .from(binding::Entity)
                    .and_where(
                        binding::Column::Status.eq(ce_entity::state::BindingStatus::Approved),
                    )
                    .and_where(binding::Column::UnitId.is_in(units))
                    .to_owned(),
            ),
        );
        reveal = true;
    } else if auth.has_role(Role::Authority) {
        reveal = false;
    } else {
        let me: Vec<Uuid> = auth
            .grants()
            .iter()
            .filter(|g| g.role == Role::Person)
            .filter_map(|g| g.person_id)
            .collect();
        q = q.filter(person::Column::Id.is_in(me));
        reveal = true;
    }
    if let Some(u) = f
        .unit_id
        .filter(|_| auth.has_role(Role::Hrss) || auth.has_role(Role::Authority))
    {
        q = q.filter(
            Expr::col(person::Column::Id).in_subquery(
                Query::select()
                    .column(binding::Column::PersonId)
                    .from(binding::Entity)
                    .and_where(
                        binding::Column::Status.eq(ce_entity::state::BindingStatus::Approved),
                    )
                    .and_where(binding::Column::UnitId.eq(u))
                    .to_owned(),
            ),
        );
    }
    if f.series.is_some() || f.year.is_some() {
        let mut sub = Query::select();
        sub.column(person_series::Column::PersonId)
            .from(person_series::Entity);
        if let Some(s) = &f.series {
            sub.and_where(person_series::Column::SeriesCode.eq(s.as_str()));
        }
        if let Some(y) = f.year {
            sub.and_where(person_series::Column::Year.eq(y));
        }
        q = q.filter(Expr::col(person::Column::Id).in_subquery(sub.to_owned()));
    }
    if let Some(v) = f.verified {
        q = q.filter(person::Column::Verified.eq(v));
    }
    if let Some(id) = &f.id_card_no {
        q = q.filter(person::Column::IdCardHash.eq(state.pii.hash("id_card", id.as_ref())));
    }
    if let Some(n) = &f.name {
        q = q.filter(person::Column::Name.like(crate::authz::like_prefix(n)));
    }
    // A list: the replica's when one serves (`AppState::read_db`).
    let read = state.read_db();
    let (rows, next_cursor) = page
        .load(read, q, person::Column::Id, false, |r| r.id)
        .await?;
    let items = views(state, read, &rows, reveal).await?;
    Ok(PersonPage { items, next_cursor })
}

/// A profile change, parsed.
#[derive(Debug)]
pub struct ProfileChange {
    pub name: Option<PersonName>,
    pub phone: Option<Phone>,
    pub education: Option<Education>,
    pub title: Option<String>,
    /// The series for `series_year` (R-PU-2, R-PU-4).
    pub series: Option<BTreeSet<String>>,
    pub series_year: Year,
    /// A district code (R-ACC-4, R-RC-10).
    pub region: Option<crate::domain::authority::Region>,
    /// Terms of these series, replacing what was set of each (R-ACC-6,
    /// R-ARC-1).
    pub series_terms: Vec<SeriesTerms>,
}

/// The holder changes their profile.
pub async fn update(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    change: ProfileChange,
    if_match: Option<i32>,
) -> Result<Person, ServiceError> {
    require_self(auth, id)?;
    if let Some(series) = &change.series {
        crate::reference::series::check_known(&state.db, "series", series).await?;
    }
    if !change.series_terms.is_empty() {
        let codes: BTreeSet<String> = change
            .series_terms
            .iter()
            .map(|t| t.series.clone())
            .collect();
        crate::reference::series::check_known(&state.db, "series_terms", &codes).await?;
    }
    let txn = crate::db::begin_write(&state.db).await?;
    let p = person::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    check_version(if_match, p.version)?;
    let mut am: person::ActiveModel = p.clone().into();
    if let Some(name) = &change.name
        && name.as_ref() != p.name
    {
        am.name = Set(name.as_ref().to_string());
        // A new name must be verified again (R-ID-2).
        am.verified = Set(false);
    }
    if let Some(phone) = &change.phone {
        am.phone_hash = Set(Some(state.pii.hash("phone", phone.as_ref())));
        am.phone_enc = Set(Some(state.pii.encrypt(phone.as_ref())?));
        am.phone_masked = Set(Some(phone.masked()));
    }
    if let Some(e) = change.education {
        am.education = Set(Some(e.as_str().into()));
    }
    if let Some(t) = &change.title {
        am.title = Set(Some(t.clone()));
    }
    if let Some(r) = &change.region {
        am.region = Set(Some(r.as_ref().to_string()));
    }
    am.version = Set(p.version + 1);
    am.updated_at = Set(Utc::now());
    let res = person::Entity::update_many()
        .set(am)
        .filter(person::Column::Id.eq(id))
        .filter(person::Column::Version.eq(p.version))
        .exec(&txn)
        .await
        .on_unique(&[(&unique::PERSON_PHONE, phone_taken)])?;
    crate::review::updated_once(res.rows_affected, p.version)?;
    if change.name.as_ref().is_some_and(|n| n.as_ref() != p.name) {
        // Their certificates verify with the new name's first character
        // (issue 21: every process forgets the answers it holds).
        crate::cache::bump(&txn, crate::cache::Kind::Certificates).await?;
    }
    if let Some(series) = &change.series {
        let year = change.series_year.value();
        // R-PU-3: a certified year keeps the series it was certified for.
        let current: std::collections::BTreeSet<String> = person_series::Entity::find()
            .filter(person_series::Column::PersonId.eq(id))
            .filter(person_series::Column::Year.eq(year))
            .all(&txn)
            .await?
            .into_iter()
            .map(|s| s.series_code)
            .collect();
        let certified = ce_entity::certificate::Entity::find()
            .filter(ce_entity::certificate::Column::PersonId.eq(id))
            .filter(ce_entity::certificate::Column::Year.eq(year))
            .filter(
                ce_entity::certificate::Column::Status
                    .eq(crate::domain::certificate::CertificateStatus::Valid.as_str()),
            )
            .one(&txn)
            .await?
            .is_some();
        if &current != series && certified {
            return Err(ServiceError::conflict(
                "certificate_exists",
                format!("{year} has a certificate: its series can no longer change (R-PU-3)"),
            ));
        }
        person_series::Entity::delete_many()
            .filter(person_series::Column::PersonId.eq(id))
            .filter(person_series::Column::Year.eq(year))
            .exec(&txn)
            .await?;
        for code in series {
            person_series::ActiveModel {
                person_id: Set(id),
                year: Set(year),
                series_code: Set(code.clone()),
                created_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await?;
        }
    }
    let terms_before = series_terms(&txn, id).await?;
    let rejudge_terms = write_series_terms(&txn, id, &change.series_terms).await?;
    let terms_note = if change.series_terms.is_empty() {
        None
    } else {
        Some(json!({
            "before": terms_summary(&terms_before),
            "after": terms_summary(&series_terms(&txn, id).await?),
        }))
    };
    let before = profile_summary(&p, None);
    let p = person::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let series = change
        .series
        .as_ref()
        .map(|s| (change.series_year.value(), s));
    // What the year requires follows the series held (R-REQ-3): the
    // standing is judged again, and its certificate follows.
    let mut change = Change::new("person", id, "updated")
        .before(before)
        .after(profile_summary(&p, series))
        .person(id);
    if let Some(note) = terms_note {
        change = change.also("series_terms", note);
    }
    // The years a series' terms decide what is owed in (R-ACC-6), and the
    // year whose series changed (R-REQ-3), are judged again.
    let mut years: BTreeSet<i32> = rejudge_terms;
    if let Some((year, _)) = series {
        years.insert(year);
    }
    for year in years {
        let note = state
            .series_changed
            .rejudge(&state.reference, &txn, id, year)
            .await?;
        if !serde_json::Value::is_null(&note) {
            change = change.also("certificates", note);
        }
    }
    audit::record(&txn, change).await?;
    let v = view(state, &txn, &p, true).await?;
    txn.commit().await?;
    Ok(v)
}

/// Stores the terms given (replacing each series' earlier terms) and
/// answers the years in which the person holds one of those series: their
/// judgement may change (R-ACC-6).
async fn write_series_terms<C: ConnectionTrait>(
    conn: &C,
    person_id: Uuid,
    terms: &[SeriesTerms],
) -> Result<BTreeSet<i32>, ServiceError> {
    use ce_entity::person_series_term;
    use sea_orm::sea_query::OnConflict;
    if terms.is_empty() {
        return Ok(BTreeSet::new());
    }
    let now = Utc::now();
    for t in terms {
        person_series_term::Entity::insert(person_series_term::ActiveModel {
            person_id: Set(person_id),
            series_code: Set(t.series.clone()),
            started_on: Set(t.started_on),
            studying_until: Set(t.studying_until),
            has_degree: Set(t.has_degree),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                person_series_term::Column::PersonId,
                person_series_term::Column::SeriesCode,
            ])
            .update_columns([
                person_series_term::Column::StartedOn,
                person_series_term::Column::StudyingUntil,
                person_series_term::Column::HasDegree,
                person_series_term::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    Ok(person_series::Entity::find()
        .filter(person_series::Column::PersonId.eq(person_id))
        .filter(person_series::Column::SeriesCode.is_in(terms.iter().map(|t| t.series.clone())))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.year)
        .collect())
}

fn terms_summary(terms: &[SeriesTerms]) -> serde_json::Value {
    terms
        .iter()
        .map(|t| {
            json!({
                "series": t.series,
                "started_on": t.started_on,
                "studying_until": t.studying_until,
                "has_degree": t.has_degree,
            })
        })
        .collect()
}

/// A profile for the audit trail: masked phone, never the ID number.
fn profile_summary(
    p: &person::Model,
    series: Option<(i32, &std::collections::BTreeSet<String>)>,
) -> serde_json::Value {
    let mut v = json!({
        "name": p.name,
        "phone": p.phone_masked,
        "education": p.education,
        "title": p.title,
        "region": p.region,
        "verified": p.verified,
    });
    if let (Some((year, codes)), Some(m)) = (series, v.as_object_mut()) {
        m.insert("series".into(), json!({"year": year, "codes": codes}));
    }
    v
}

/// 404 unless the caller is this person (hrss may act too).
fn require_self(auth: &Caller, id: Uuid) -> Result<(), ServiceError> {
    crate::authz::require_scoped(auth, Role::Person, id, true, "person")
}

/// The holder passes real-name verification (R-ID-2): the name and number
/// must be the registered ones and the verifier must accept them.
pub async fn verify(
    state: &AppState,
    auth: &Caller,
    id: Uuid,
    name: PersonName,
    id_card_no: IdCardNo,
) -> Result<Person, ServiceError> {
    crate::authz::require_scoped(auth, Role::Person, id, false, "person")?;
    let p = person::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let matches =
        p.name == name.as_ref() && p.id_card_hash == state.pii.hash("id_card", id_card_no.as_ref());
    if !matches || !state.verifier.verify(&name, &id_card_no).await? {
        return Err(ServiceError::invalid_field(
            "identity_mismatch",
            "id_card_no",
            "the name and ID number do not match the registered person",
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    person::Entity::update_many()
        .col_expr(person::Column::Verified, Expr::value(true))
        .col_expr(
            person::Column::Version,
            Expr::col(person::Column::Version).add(1),
        )
        .col_expr(person::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(person::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Change::new("person", id, "verified")
            .before(json!({"verified": p.verified}))
            .after(json!({"verified": true}))
            .person(id),
    )
    .await?;
    txn.commit().await?;
    get(state, auth, id).await
}
