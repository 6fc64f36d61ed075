//! The unique indexes of the schema that a client's request can run into,
//! named once: PostgreSQL reports a violation by the index's name, SQLite
//! by its table and columns (`UNIQUE constraint failed: persons.phone_hash`).
//! A use case says which of them a write may hit and what each means to
//! the client ([`crate::error::UniqueViolation::on_unique`]); the e2e suite
//! checks on both backends that every index listed here exists with these
//! columns (`tests/e2e/errors.rs`).

/// A unique index: its name and its table's columns.
#[derive(Debug)]
pub struct UniqueIndex {
    /// The index's (or unique constraint's) name in PostgreSQL.
    pub name: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

impl UniqueIndex {
    /// Whether a database's message about a unique violation names this
    /// index: PostgreSQL quotes the index's name; SQLite lists
    /// `table.column, …` (or `index 'name'` for an index on expressions).
    pub fn is_named_in(&self, message: &str) -> bool {
        if message.contains(&format!("\"{}\"", self.name))
            || message.contains(&format!("index '{}'", self.name))
        {
            return true;
        }
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{}.{c}", self.table))
            .collect();
        message
            .rsplit_once("UNIQUE constraint failed: ")
            .is_some_and(|(_, listed)| listed.trim() == columns.join(", "))
    }
}

macro_rules! indexes {
    ($($id:ident = $name:literal on $table:literal ($($col:literal),+);)+) => {
        $(pub const $id: UniqueIndex = UniqueIndex {
            name: $name,
            table: $table,
            columns: &[$($col),+],
        };)+
        /// Every index above.
        pub const ALL: &[&UniqueIndex] = &[$(&$id),+];
    };
}

indexes! {
    PERSON_ID_NUMBER = "persons_id_card_hash_key" on "persons" ("id_card_hash");
    PERSON_PHONE = "ux_persons_phone_hash" on "persons" ("phone_hash");
    UNIT_CREDIT_CODE = "units_credit_code_key" on "units" ("credit_code");
    PROVIDER_CREDIT_CODE = "providers_credit_code_key" on "providers" ("credit_code");
    PROVIDER_BASE_NO = "providers_base_no_key" on "providers" ("base_no");
    PLATFORM_CLIENT_ID = "platforms_client_id_key" on "platforms" ("client_id");
    BINDING_CURRENT = "ux_bindings_one_current" on "bindings" ("person_id");
    BINDING_PENDING = "ux_bindings_one_pending" on "bindings" ("person_id", "unit_id");
    CATALOGUE_COURSE = "ux_catalogue_courses_year_series_name" on "catalogue_courses" ("year", "series_code", "name");
    ENROLMENT_LIVE = "ux_enrollments_live" on "enrollments" ("class_id", "person_id");
    BASE_CLAIM_APPROVED = "ux_base_claims_one_approved" on "base_claims" ("base_no");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_and_sqlite_messages_name_the_index() {
        // As the two databases word them.
        let pg = "duplicate key value violates unique constraint \"ux_persons_phone_hash\"";
        let sqlite = "UNIQUE constraint failed: persons.phone_hash";
        assert!(PERSON_PHONE.is_named_in(pg));
        assert!(PERSON_PHONE.is_named_in(sqlite));
        assert!(!PERSON_ID_NUMBER.is_named_in(pg));
        assert!(!PERSON_ID_NUMBER.is_named_in(sqlite));
        let two = "UNIQUE constraint failed: bindings.person_id, bindings.unit_id";
        assert!(BINDING_PENDING.is_named_in(two));
        // The current binding's index is on person_id alone.
        assert!(!BINDING_CURRENT.is_named_in(two));
        assert!(BINDING_CURRENT.is_named_in("UNIQUE constraint failed: bindings.person_id"));
        assert!(
            CATALOGUE_COURSE
                .is_named_in("error returned from database: UNIQUE constraint failed: catalogue_courses.year, catalogue_courses.series_code, catalogue_courses.name")
        );
    }
}
