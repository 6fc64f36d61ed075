//! A minimal reader for the reference CSV files shipped in `migration/data/`.
//!
//! The files are ours (copied from `shared/data`), UTF-8, comma-separated,
//! with a header row and no quoted fields; a row with the wrong number of
//! fields fails the migration loudly instead of loading half a table.

use sea_orm_migration::prelude::DbErr;

/// Rows of `text` as maps from header name to field, in file order.
pub fn rows<'a>(name: &str, text: &'a str) -> Result<Vec<Vec<(&'a str, &'a str)>>, DbErr> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| DbErr::Migration(format!("{name}: empty file")))?
        .split(',')
        .map(str::trim)
        .collect();
    lines
        .enumerate()
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != header.len() {
                return Err(DbErr::Migration(format!(
                    "{name}: row {} has {} fields, the header has {}",
                    i + 2,
                    fields.len(),
                    header.len()
                )));
            }
            Ok(header.iter().copied().zip(fields).collect())
        })
        .collect()
}

/// The field `key` of a row.
pub fn field<'a>(row: &[(&'a str, &'a str)], key: &str) -> Result<&'a str, DbErr> {
    row.iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .ok_or_else(|| DbErr::Migration(format!("missing column {key}")))
}

/// The field `key` parsed as a number.
pub fn number<T: std::str::FromStr>(row: &[(&str, &str)], key: &str) -> Result<T, DbErr> {
    let v = field(row, key)?;
    v.parse()
        .map_err(|_| DbErr::Migration(format!("column {key}: {v:?} is not a number")))
}

/// The field `key` parsed as an ISO date (`YYYY-MM-DD`).
pub fn date_field(row: &[(&str, &str)], key: &str) -> Result<chrono::NaiveDate, DbErr> {
    let v = field(row, key)?;
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| DbErr::Migration(format!("column {key}: {v:?} is not a date")))
}
