//! Conversion forms (R-RC-7, R-ACC-2): degree education, and the accounting
//! forms of `accounting_credit_conversions` (seeded from
//! `../shared/data/accounting_credit_conversions.csv`).

use ce_entity::accounting_credit_conversion;

use crate::domain::Hours;

pub use crate::reference::{DEGREE_EDUCATION, accounting_forms, kind};

/// R-ACC-2: the credits (= hours) `quantity` units of the form are worth:
/// credits per day, per hour, per paper…; a per-year form is worth its
/// credits once.
pub fn credits(form: &accounting_credit_conversion::Model, quantity: Hours) -> Hours {
    let per = Hours::parse_f64(form.credits).unwrap_or(Hours::ZERO);
    if form.unit == "per_year" {
        return per;
    }
    // Tenths × tenths / 10 keeps one decimal place.
    let tenths = u64::from(per.tenths()) * u64::from(quantity.tenths()) / 10;
    Hours::from_tenths(u32::try_from(tenths).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::compliance::Conversion;
    use std::collections::HashMap;

    fn form(
        credits: f64,
        unit: &str,
        counts_as: &str,
        exempt: bool,
    ) -> accounting_credit_conversion::Model {
        accounting_credit_conversion::Model {
            code: "x".into(),
            form: "x".into(),
            credits,
            unit: unit.into(),
            counts_as: counts_as.into(),
            public_exempt: exempt,
            confirmed_by: "x".into(),
        }
    }

    #[test]
    fn r_acc_2_credits_follow_the_table() {
        let h = |v: f64| Hours::parse_f64(v).unwrap();
        // 20 credits a day of unit training; 2.5 an hour online; 30 a paper.
        assert_eq!(
            credits(&form(20.0, "per_day", "professional", false), h(2.0)),
            h(40.0)
        );
        assert_eq!(
            credits(&form(2.5, "per_hour", "professional", false), h(3.0)),
            h(7.5)
        );
        assert_eq!(
            credits(&form(30.0, "per_paper", "professional", false), h(1.0)),
            h(30.0)
        );
        assert_eq!(
            credits(&form(90.0, "per_year", "whole_year", true), h(3.0)),
            h(90.0)
        );
        let mut forms = HashMap::new();
        forms.insert(
            "exam".to_string(),
            form(90.0, "per_subject", "whole_year", true),
        );
        forms.insert(
            "paper".to_string(),
            form(30.0, "per_paper", "professional", false),
        );
        assert_eq!(
            kind("exam", &forms),
            Some(Conversion::WholeYear {
                public_exempt: true
            })
        );
        assert_eq!(kind("paper", &forms), None);
        assert_eq!(
            kind(DEGREE_EDUCATION, &forms),
            Some(Conversion::DegreeEducation)
        );
    }
}
