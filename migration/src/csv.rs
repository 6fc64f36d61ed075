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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_map_headers_to_fields() {
        let r = rows("t", "a,b\n1, x \n\n2,y\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(field(&r[0], "b").unwrap(), "x");
        assert_eq!(number::<i32>(&r[1], "a").unwrap(), 2);
    }

    #[test]
    fn a_row_with_the_wrong_field_count_fails_loudly() {
        let e = rows("t.csv", "a,b\n1,2,3\n").unwrap_err();
        assert!(e.to_string().contains("t.csv: row 2 has 3 fields"), "{e}");
    }

    #[test]
    fn the_shipped_reference_files_parse_completely() {
        let series = rows("s", include_str!("../data/professional_series.csv")).unwrap();
        assert_eq!(series.len(), 38);
        let bases = rows("b", include_str!("../data/guangzhou_city_bases.csv")).unwrap();
        assert_eq!(bases.len(), 59, "R-PQ-4: 59 city-level bases");
        let req = rows("r", include_str!("../data/annual_requirements.csv")).unwrap();
        assert!(req.iter().all(|r| number::<i32>(r, "total_min").is_ok()));
        let subjects = rows("p", include_str!("../data/public_subjects.csv")).unwrap();
        assert_eq!(
            date_field(&subjects[0], "offline_after")
                .unwrap()
                .to_string(),
            "2024-04-30"
        );
        let conv = rows(
            "c",
            include_str!("../data/accounting_credit_conversions.csv"),
        )
        .unwrap();
        assert!(
            conv.iter().all(|r| number::<f64>(r, "credits").is_ok()
                && number::<bool>(r, "public_exempt").is_ok())
        );
    }
}
