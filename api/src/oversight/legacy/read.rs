//! Reading a legacy CSV: the header against its layout, each row into its
//! fields, and each row's fields checked into the record or certificate it
//! would store (ID number, name, year within the legacy years, hours,
//! dates, series). Nothing here reads or writes the database; a bad row
//! is a [`Reject`] with a stable code, never the whole file's failure.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;

use ce_entity::{legacy_certificate, legacy_record};

use super::{LegacyKind, MAX_ROWS};
use crate::domain::legacy::{LegacyId, LegacyNumber};
use crate::domain::record::RecordCategory;
use crate::domain::{Hours, IdCardNo, PersonName};
use crate::error::{FieldError, ServiceError};
use crate::ledger::records::MAX_DECLARED_HOURS;
use crate::state::AppState;

/// A row's rejection before it is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Reject {
    pub(super) code: &'static str,
    pub(super) detail: String,
}

pub(super) fn reject(code: &'static str, detail: impl Into<String>) -> Reject {
    Reject {
        code,
        detail: detail.into(),
    }
}

/// A data row: its line, its key (for the report) and its fields by column.
pub(super) struct Row {
    pub(super) line: u64,
    pub(super) key: Option<String>,
    pub(super) fields: Result<HashMap<&'static str, String>, Reject>,
}

/// Reads the CSV (UTF-8, with or without BOM; a header naming the
/// columns in any order). A header that misses a required column or names
/// an unknown one refuses the whole file (422); a row that cannot be read
/// is rejected alone.
pub(super) fn read_rows(kind: LegacyKind, body: &[u8]) -> Result<Vec<Row>, ServiceError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if std::str::from_utf8(body).is_err() {
        return Err(ServiceError::invalid_field(
            "csv_encoding_invalid",
            "body",
            "the file is not UTF-8 (an export of the old system in GBK converts with `iconv -f GBK -t UTF-8`)",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| {
            ServiceError::invalid_field(
                "csv_header_invalid",
                "body",
                format!("the header line could not be read: {e}"),
            )
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let (required, optional) = kind.columns();
    let mut columns: Vec<&'static str> = Vec::with_capacity(header.len());
    let mut errors = Vec::new();
    for h in &header {
        match required.iter().chain(optional).find(|c| **c == h.as_str()) {
            Some(c) if columns.contains(c) => errors.push(FieldError {
                field: h.clone(),
                code: "column_duplicate".into(),
                message: format!("the column {h:?} appears twice"),
            }),
            Some(c) => columns.push(*c),
            None => errors.push(FieldError {
                field: if h.is_empty() {
                    "(blank)".into()
                } else {
                    h.clone()
                },
                code: "column_unknown".into(),
                message: format!(
                    "no column {h:?} in this layout; the columns are {}",
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }
    for c in required {
        if !columns.contains(c) {
            errors.push(FieldError {
                field: (*c).into(),
                code: "column_missing".into(),
                message: format!("the header lacks the required column {c:?}"),
            });
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid {
            code: "csv_header_invalid",
            detail: format!(
                "the header does not fit the {} layout: {}",
                match kind {
                    LegacyKind::Records => "records",
                    LegacyKind::Certificates => "certificates",
                },
                errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            errors,
        });
    }
    let key_at = columns.iter().position(|c| *c == kind.key_column());
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() >= MAX_ROWS {
            return Err(ServiceError::PayloadTooLarge {
                code: "import_too_large",
                detail: format!("an import carries at most {MAX_ROWS} rows: split the file"),
            });
        }
        // Without a position (never seen), the line a one-line row would be on.
        let fallback = rows.len() as u64 + 2;
        let row = match record {
            Err(e) => Row {
                line: e.position().map(|p| p.line()).unwrap_or(fallback),
                key: None,
                fields: Err(reject(
                    "row_unreadable",
                    format!("the row could not be read: {e}"),
                )),
            },
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(fallback);
                let key = key_at
                    .and_then(|i| r.get(i))
                    .filter(|k| !k.is_empty())
                    .map(|k| k.chars().take(64).collect());
                let fields = if r.len() < columns.len() {
                    Err(reject(
                        "columns_missing",
                        format!(
                            "the row has {} fields, the header {}",
                            r.len(),
                            columns.len()
                        ),
                    ))
                } else if r.len() > columns.len() {
                    Err(reject(
                        "columns_extra",
                        format!(
                            "the row has {} fields, the header {}",
                            r.len(),
                            columns.len()
                        ),
                    ))
                } else {
                    Ok(columns
                        .iter()
                        .zip(r.iter())
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(c, v)| (*c, v.to_string()))
                        .collect())
                };
                Row { line, key, fields }
            }
        };
        rows.push(row);
    }
    Ok(rows)
}

/// The limits a row is checked against.
pub(super) struct Bounds {
    pub(super) first_year: i32,
    pub(super) last_year: i32,
    pub(super) today: NaiveDate,
}

fn required<'a>(f: &'a HashMap<&'static str, String>, c: &str) -> Result<&'a str, Reject> {
    f.get(c)
        .map(String::as_str)
        .ok_or_else(|| reject("field_required", format!("{c} is required")))
}

fn text(f: &HashMap<&'static str, String>, c: &str, max: usize) -> Result<Option<String>, Reject> {
    match f.get(c) {
        Some(t) if t.chars().count() > max || t.chars().any(char::is_control) => Err(reject(
            "text_invalid",
            format!("{c} is at most {max} characters, without control characters"),
        )),
        Some(t) => Ok(Some(t.clone())),
        None => Ok(None),
    }
}

fn year(f: &HashMap<&'static str, String>, b: &Bounds) -> Result<i32, Reject> {
    let y: i32 = required(f, "year")?
        .parse()
        .map_err(|_| reject("year_invalid", "year must be a whole number such as 2016"))?;
    if y > b.last_year {
        return Err(reject(
            "year_not_legacy",
            format!(
                "legacy data are of {} and earlier; {y} is kept in this system, not imported",
                b.last_year
            ),
        ));
    }
    if y < b.first_year {
        return Err(reject(
            "year_invalid",
            format!("year must be {} or later", b.first_year),
        ));
    }
    Ok(y)
}

/// Hours from 0 to 1000 with at most one decimal place, as tenths.
fn hours(f: &HashMap<&'static str, String>, c: &str) -> Result<i32, Reject> {
    let bad = || {
        reject(
            "hours_invalid",
            format!(
                "{c} must be a number from 0 to {MAX_DECLARED_HOURS} with at most one decimal place"
            ),
        )
    };
    let v: f64 = required(f, c)?.parse().map_err(|_| bad())?;
    let h = Hours::parse_f64(v).map_err(|_| bad())?;
    if h.as_f64() > MAX_DECLARED_HOURS {
        return Err(bad());
    }
    i32::try_from(h.tenths()).map_err(|_| bad())
}

fn date(v: &str, c: &str) -> Result<NaiveDate, Reject> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| reject("date_invalid", format!("{c} must be a date YYYY-MM-DD")))
}

/// The person part every row has: ID number (GB 11643 checksum, region,
/// birth date), its hash and mask, and the name.
struct Holder {
    id_card_hash: String,
    id_card_masked: String,
    name: String,
}

fn holder(state: &AppState, f: &HashMap<&'static str, String>) -> Result<Holder, Reject> {
    let id = IdCardNo::parse(required(f, "id_card_no")?).map_err(|e| reject(e.code, e.message))?;
    let name = PersonName::parse(required(f, "name")?).map_err(|e| reject(e.code, e.message))?;
    Ok(Holder {
        id_card_hash: state.pii.hash("id_card", id.as_ref()),
        id_card_masked: id.masked(),
        name: name.as_ref().to_string(),
    })
}

/// A category by its code or the old system's Chinese name.
fn category(v: &str) -> Result<RecordCategory, Reject> {
    match v {
        "public" | "公需" | "公需科目" => Ok(RecordCategory::Public),
        "professional" | "专业" | "专业科目" => Ok(RecordCategory::Professional),
        "elective" | "选修" | "选修科目" | "个人选修科目" => {
            Ok(RecordCategory::Elective)
        }
        _ => Err(reject(
            "category_invalid",
            "category is public, professional or elective (公需科目, 专业科目, 个人选修科目)",
        )),
    }
}

/// Checks a record row; the model is complete but for the import fields.
pub(super) fn check_record(
    state: &AppState,
    f: &HashMap<&'static str, String>,
    b: &Bounds,
    series: &HashSet<String>,
) -> Result<legacy_record::Model, Reject> {
    let key = LegacyId::parse(required(f, "legacy_id")?).map_err(|e| reject(e.code, e.message))?;
    let h = holder(state, f)?;
    let year = year(f, b)?;
    let category = category(required(f, "category")?)?;
    let series_code = text(f, "series", 64)?;
    match &series_code {
        Some(s) if !series.contains(s) => {
            return Err(reject("series_unknown", format!("no series {s:?}")));
        }
        None if category == RecordCategory::Professional => {
            return Err(reject(
                "series_required",
                "professional hours name the series they count for (R-PU-2)",
            ));
        }
        _ => {}
    }
    let course_name = text(f, "course_name", 200)?
        .ok_or_else(|| reject("field_required", "course_name is required"))?;
    let hours_tenths = hours(f, "hours")?;
    let completed_on = f
        .get("completed_on")
        .map(|v| date(v, "completed_on"))
        .transpose()?;
    if let Some(d) = completed_on {
        // R-RC-5, R-RC-8: hours count for the year they were completed
        // in, or a public course finished early the next year.
        if d > b.today || !(year..=year + 1).contains(&d.year()) {
            return Err(reject(
                "date_invalid",
                format!(
                    "completed_on must lie in {year} or {} and not in the future",
                    year + 1
                ),
            ));
        }
    }
    Ok(legacy_record::Model {
        id: Uuid::nil(),
        legacy_id: key.as_ref().to_string(),
        id_card_hash: h.id_card_hash,
        id_card_masked: h.id_card_masked,
        name: h.name,
        year,
        category: category.as_str().into(),
        series_code,
        course_name,
        hours_tenths,
        result: text(f, "result", 100)?,
        provider_name: text(f, "provider_name", 100)?,
        unit_name: text(f, "unit_name", 200)?,
        completed_on,
        import_id: Uuid::nil(),
        imported_by: Uuid::nil(),
        imported_at: DateTime::<Utc>::MIN_UTC,
    })
}

/// Checks a certificate row.
pub(super) fn check_certificate(
    state: &AppState,
    f: &HashMap<&'static str, String>,
    b: &Bounds,
) -> Result<legacy_certificate::Model, Reject> {
    let number =
        LegacyNumber::parse(required(f, "number")?).map_err(|e| reject(e.code, e.message))?;
    let h = holder(state, f)?;
    let year = year(f, b)?;
    let public_tenths = hours(f, "public_hours")?;
    let professional_tenths = hours(f, "professional_hours")?;
    let elective_tenths = hours(f, "elective_hours")?;
    let issued_on = date(required(f, "issued_on")?, "issued_on")?;
    if issued_on > b.today || issued_on.year() < year {
        return Err(reject(
            "date_invalid",
            format!("issued_on must lie in {year} or later and not in the future"),
        ));
    }
    Ok(legacy_certificate::Model {
        id: Uuid::nil(),
        number: number.as_ref().to_string(),
        id_card_hash: h.id_card_hash,
        id_card_masked: h.id_card_masked,
        name: h.name,
        year,
        public_tenths,
        professional_tenths,
        elective_tenths,
        unit_name: text(f, "unit_name", 200)?,
        issued_on,
        import_id: Uuid::nil(),
        imported_by: Uuid::nil(),
        imported_at: DateTime::<Utc>::MIN_UTC,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&'static str, &str)]) -> HashMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn headers_must_fit_the_layout() {
        // `Row` has no `Debug`: its fields hold ID numbers.
        let Err(err) = read_rows(LegacyKind::Records, b"legacy_id,id_card_no,nmae\n") else {
            panic!("accepted");
        };
        let ServiceError::Invalid { code, errors, .. } = err else {
            panic!("not invalid");
        };
        assert_eq!(code, "csv_header_invalid");
        let codes: Vec<_> = errors.iter().map(|e| e.code.as_str()).collect();
        assert!(codes.contains(&"column_unknown"));
        assert!(codes.contains(&"column_missing"));
    }

    #[test]
    fn a_bom_is_skipped_and_lines_are_counted_from_the_header() {
        let csv = "\u{FEFF}number,id_card_no,name,year,public_hours,professional_hours,elective_hours,issued_on\n\
                   A1,x,y,2016,1,2,3,2016-12-01\n\
                   A2,x\n";
        let rows = read_rows(LegacyKind::Certificates, csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert!(rows[0].fields.is_ok());
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].key.as_deref(), Some("A2"));
        assert_eq!(
            rows[1].fields.as_ref().err().map(|r| r.code),
            Some("columns_missing")
        );
    }

    #[test]
    fn gbk_is_refused_with_advice() {
        let Err(err) = read_rows(LegacyKind::Records, b"legacy_id,\xd5\xc5\n") else {
            panic!("accepted");
        };
        assert!(matches!(
            err,
            ServiceError::Invalid {
                code: "csv_encoding_invalid",
                ..
            }
        ));
    }

    #[test]
    fn years_and_hours_are_bounded() {
        let b = Bounds {
            first_year: 1990,
            last_year: 2018,
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        };
        assert_eq!(year(&fields(&[("year", "2018")]), &b), Ok(2018));
        assert_eq!(
            year(&fields(&[("year", "2019")]), &b).unwrap_err().code,
            "year_not_legacy"
        );
        assert_eq!(
            year(&fields(&[("year", "1989")]), &b).unwrap_err().code,
            "year_invalid"
        );
        assert_eq!(
            year(&fields(&[("year", "二〇一六")]), &b).unwrap_err().code,
            "year_invalid"
        );
        assert_eq!(hours(&fields(&[("hours", "0")]), "hours"), Ok(0));
        assert_eq!(hours(&fields(&[("hours", "12.5")]), "hours"), Ok(125));
        for bad in ["-1", "1000.1", "1.25", "NaN", "inf", "x"] {
            assert_eq!(
                hours(&fields(&[("hours", bad)]), "hours").unwrap_err().code,
                "hours_invalid",
                "{bad}"
            );
        }
        assert_eq!(
            hours(&fields(&[]), "hours").unwrap_err().code,
            "field_required"
        );
    }

    #[test]
    fn categories_read_codes_and_chinese_names() {
        assert_eq!(category("公需科目"), Ok(RecordCategory::Public));
        assert_eq!(category("professional"), Ok(RecordCategory::Professional));
        assert_eq!(category("选修"), Ok(RecordCategory::Elective));
        assert_eq!(category("other").unwrap_err().code, "category_invalid");
    }
}
