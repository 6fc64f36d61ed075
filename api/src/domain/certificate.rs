//! Certificate numbers (R-CE-2, R-CE-3) and statuses. A number reads
//! `YYYY-XXXX-XXXX-XXXX`: the year, then eleven random characters and one
//! check character from Crockford's base-32 alphabet (digits and capitals
//! without I, L, O, U, so it reads aloud without confusion). 55 random bits
//! make numbers impossible to enumerate; the check character (Luhn mod 32)
//! catches any single mistyped character and most swaps of neighbours.

use rand::Rng;

use super::DomainError;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_CHARS: usize = 11;

/// Stored in `certificates.status`; the type lives with the entities.
pub use ce_entity::state::CertificateStatus;

/// One series' approved professional hours on a certificate.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SeriesHours {
    pub series: String,
    pub hours: f64,
}

/// The approved hours a certificate was issued for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CertificateHours {
    pub public: f64,
    pub professional: f64,
    pub elective: f64,
    pub total: f64,
    pub series: Vec<SeriesHours>,
}

impl CertificateHours {
    /// Whether any figure that counts now is below what the certificate
    /// states (then it states more than counts: R-CE-1).
    pub fn below(&self, stated: &CertificateHours) -> bool {
        let tenths = |h: f64| (h * 10.0).round() as i64;
        let less = |now: f64, then: f64| tenths(now) < tenths(then);
        less(self.public, stated.public)
            || less(self.professional, stated.professional)
            || less(self.elective, stated.elective)
            || less(self.total, stated.total)
            || stated.series.iter().any(|s| {
                let now = self
                    .series
                    .iter()
                    .find(|n| n.series == s.series)
                    .map_or(0.0, |n| n.hours);
                less(now, s.hours)
            })
    }

    pub(crate) fn of(a: &super::compliance::Assessment) -> Self {
        let (p, pr, e) = (
            a.public.approved.as_f64(),
            a.professional.approved.as_f64(),
            a.elective.approved.as_f64(),
        );
        Self {
            public: p,
            professional: pr,
            elective: e,
            total: ((p + pr + e) * 10.0).round() / 10.0,
            series: a
                .series
                .iter()
                .map(|s| SeriesHours {
                    series: s.code.clone(),
                    hours: s.line.approved.as_f64(),
                })
                .collect(),
        }
    }
}

/// What anyone holding a number learns (R-CE-3). Unknown numbers answer
/// the same shape; only a valid certificate shows whose it is.
#[derive(Debug, Clone)]
pub struct Verification {
    /// `valid`, `superseded`, `revoked` or `unknown`.
    pub status: String,
    /// The number as asked, normalised when it is well-formed.
    pub number: String,
    pub year: Option<i32>,
    pub hours: Option<CertificateHours>,
    pub holder_name_masked: Option<String>,
    pub id_card_masked: Option<String>,
    pub issued_at: Option<chrono::DateTime<chrono::Utc>>,
    /// A certificate of the old city system (历史证书), imported with its
    /// printed number; it verifies like a current one.
    pub legacy: bool,
    /// Why a superseded or revoked number no longer stands: `reissued`
    /// (a new number was asked for), `hours_corrected` (replaced by one
    /// stating the hours that count now), `hours_withdrawn` (its year no
    /// longer counts as complete), `record_untruthful` (a record of its
    /// year was found untruthful, R-RC-12), `revoked_by_hrss`.
    pub reason: Option<String>,
}

/// What a title committee learns of an applicant it names (R-CE-5). A
/// mismatched pair never shows the name on file.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantStatus {
    /// The ID number and the name are a registered person's who holds one
    /// of the evaluator's series in an asked year: their certificates
    /// follow.
    Found,
    /// The ID number is such a person's, the name is not theirs.
    NameMismatch,
    /// No such person within the evaluator's series: unknown, or
    /// evaluated by another committee (like a 404, nothing says which).
    NotFound,
}

/// R-CE-4: the years a title committee asks about — those named, or the
/// current year in China time (title evaluation asks for the current
/// year's certificate: 职称申报评审材料只要求提供当年（本年度）的继续教育证书),
/// sorted, once each.
pub fn asked_years(named: &[i32], now: chrono::DateTime<chrono::Utc>) -> Vec<i32> {
    let mut years: Vec<i32> = if named.is_empty() {
        vec![crate::domain::Year::current_in_shanghai(now)]
    } else {
        named.to_vec()
    };
    years.sort_unstable();
    years.dedup();
    years
}

/// Why a certificate was revoked when a record of its year was found
/// untruthful (记载不真实, R-RC-12): the year no longer counts as complete
/// without it.
pub const RECORD_UNTRUTHFUL: &str = "record_untruthful";

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// Luhn mod 32 over the characters' values: the check character's value.
fn check_value(chars: &[u8]) -> Option<u32> {
    let mut sum = 0;
    let mut double = true;
    for c in chars.iter().rev() {
        let mut v = value(*c)?;
        if double {
            v *= 2;
            v = v / 32 + v % 32;
        }
        sum += v;
        double = !double;
    }
    Some((32 - sum % 32) % 32)
}

/// A certificate number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateNumber(String);

impl CertificateNumber {
    /// A fresh random number for `year`.
    pub fn generate(year: i32, rng: &mut impl Rng) -> Self {
        let mut body: Vec<u8> = (0..RANDOM_CHARS)
            .map(|_| ALPHABET[rng.gen_range(0..32)])
            .collect();
        // The body only holds alphabet characters, so the check exists.
        let check = check_value(&body).unwrap_or(0);
        body.push(ALPHABET[check as usize]);
        let text = String::from_utf8_lossy(&body).into_owned();
        Self(format!(
            "{year:04}-{}-{}-{}",
            &text[0..4],
            &text[4..8],
            &text[8..12]
        ))
    }

    /// Reads a number as a person may type it: case, spaces and dashes do
    /// not matter, and `O`/`I`/`L` read as `0`/`1`/`1`.
    ///
    /// # Errors
    /// `certificate_number_invalid` when it has the wrong shape or check
    /// character.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let invalid = || {
            DomainError::new(
                "certificate_number_invalid",
                "a certificate number reads YYYY-XXXX-XXXX-XXXX with a valid check character",
            )
        };
        let cleaned: Vec<u8> = s
            .bytes()
            .filter(|b| !matches!(b, b'-' | b' '))
            .map(|b| match b.to_ascii_uppercase() {
                b'O' => b'0',
                b'I' | b'L' => b'1',
                other => other,
            })
            .collect();
        if cleaned.len() != 4 + RANDOM_CHARS + 1 || !cleaned[..4].iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        let (year, body) = cleaned.split_at(4);
        let (random, check) = body.split_at(RANDOM_CHARS);
        let expected = check_value(random).ok_or_else(invalid)?;
        if value(check[0]) != Some(expected) {
            return Err(invalid());
        }
        let year = String::from_utf8_lossy(year);
        let body = String::from_utf8_lossy(body);
        Ok(Self(format!(
            "{year}-{}-{}-{}",
            &body[0..4],
            &body[4..8],
            &body[8..12]
        )))
    }

    pub fn year(&self) -> Option<i32> {
        self.0.get(..4)?.parse().ok()
    }
}

impl AsRef<str> for CertificateNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_ce_2_generated_numbers_parse_back_and_differ() {
        let mut rng = rand::thread_rng();
        let a = CertificateNumber::generate(2026, &mut rng);
        let b = CertificateNumber::generate(2026, &mut rng);
        assert_ne!(a, b);
        assert_eq!(a.as_ref().len(), 19);
        assert!(a.as_ref().starts_with("2026-"));
        assert_eq!(CertificateNumber::parse(a.as_ref()).unwrap(), a);
        assert_eq!(a.year(), Some(2026));
        // Typed loosely: lower case, no dashes, spaces.
        let loose = a.as_ref().replace('-', " ").to_lowercase();
        assert_eq!(CertificateNumber::parse(&loose).unwrap(), a);
    }

    #[test]
    fn r_ce_3_any_single_mistyped_character_is_caught() {
        let mut rng = rand::thread_rng();
        for _ in 0..50 {
            let n = CertificateNumber::generate(2025, &mut rng);
            let chars: Vec<u8> = n.as_ref().bytes().collect();
            for i in (5..19).filter(|i| chars[*i] != b'-') {
                for c in ALPHABET.iter().filter(|c| **c != chars[i]) {
                    let mut typo = chars.clone();
                    typo[i] = *c;
                    let typo = String::from_utf8(typo).unwrap();
                    assert!(CertificateNumber::parse(&typo).is_err(), "{typo}");
                }
            }
        }
        assert!(CertificateNumber::parse("2026-ABCD").is_err());
        assert!(CertificateNumber::parse("").is_err());
        assert!(CertificateNumber::parse("ABCD-0000-0000-0000").is_err());
    }
}

#[cfg(test)]
mod evaluation_tests {
    use super::asked_years;
    use chrono::TimeZone;

    #[test]
    fn r_ce_4_the_current_year_in_china_time_unless_years_are_named() {
        // 2025-12-31 17:00 UTC is already 2026-01-01 in Shanghai.
        let now = chrono::Utc
            .with_ymd_and_hms(2025, 12, 31, 17, 0, 0)
            .unwrap();
        assert_eq!(asked_years(&[], now), vec![2026]);
        let before = chrono::Utc
            .with_ymd_and_hms(2025, 12, 31, 15, 59, 59)
            .unwrap();
        assert_eq!(asked_years(&[], before), vec![2025]);
        assert_eq!(asked_years(&[2024, 2023, 2024], now), vec![2023, 2024]);
    }
}
