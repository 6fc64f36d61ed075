//! Authority levels and their regions (R-AU-1): province → city → district,
//! each with a six-digit GB/T 2260 division code that fits the level and
//! lies within the parent's region.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DomainError;

const REGION_INVALID: &str = "region_invalid";

/// The level of an industry authority (R-AU-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityLevel {
    /// 省级: approved by hrss.
    Province,
    /// 市级: approved by the province authority of its series.
    City,
    /// 区级: approved by the city authority of its series.
    District,
}

impl AuthorityLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorityLevel::Province => "province",
            AuthorityLevel::City => "city",
            AuthorityLevel::District => "district",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "province" => AuthorityLevel::Province,
            "city" => AuthorityLevel::City,
            "district" => AuthorityLevel::District,
            _ => return None,
        })
    }

    /// The level of the authority that approves this one; `None` for a
    /// province, which hrss approves (R-AU-1).
    pub fn parent_level(self) -> Option<Self> {
        match self {
            AuthorityLevel::Province => None,
            AuthorityLevel::City => Some(AuthorityLevel::Province),
            AuthorityLevel::District => Some(AuthorityLevel::City),
        }
    }

    /// How many leading digits of a region code this level fixes.
    fn prefix_len(self) -> usize {
        match self {
            AuthorityLevel::Province => 2,
            AuthorityLevel::City => 4,
            AuthorityLevel::District => 6,
        }
    }
}

/// A six-digit division code that fits an authority level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region(String);

impl Region {
    /// Province codes end in `0000`, city codes in `00` (not `0000`),
    /// district codes in anything else.
    ///
    /// # Errors
    /// `region_invalid` when the code is not six digits or does not fit the level.
    pub fn parse(s: &str, level: AuthorityLevel) -> Result<Self, DomainError> {
        let s = s.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::new(
                REGION_INVALID,
                "the region must be a six-digit GB/T 2260 division code",
            ));
        }
        if &s[..2] == "00" {
            return Err(DomainError::new(
                REGION_INVALID,
                "the region's first two digits must name a province",
            ));
        }
        let fits = match level {
            AuthorityLevel::Province => s.ends_with("0000"),
            AuthorityLevel::City => s.ends_with("00") && !s.ends_with("0000"),
            AuthorityLevel::District => !s.ends_with("00"),
        };
        if !fits {
            let want = match level {
                AuthorityLevel::Province => "a province code ends in 0000",
                AuthorityLevel::City => "a city code ends in 00 but not 0000",
                AuthorityLevel::District => "a district code does not end in 00",
            };
            return Err(DomainError::new(
                REGION_INVALID,
                format!(
                    "the region does not fit the level {}: {want}",
                    level.as_str()
                ),
            ));
        }
        Ok(Self(s.to_string()))
    }

    /// A division code of any level, the level read from its form.
    ///
    /// # Errors
    /// `region_invalid` when the code is not a six-digit division code.
    pub fn parse_any(s: &str) -> Result<(Self, AuthorityLevel), DomainError> {
        let t = s.trim();
        let level = if t.ends_with("0000") {
            AuthorityLevel::Province
        } else if t.ends_with("00") {
            AuthorityLevel::City
        } else {
            AuthorityLevel::District
        };
        Self::parse(t, level).map(|r| (r, level))
    }

    /// The codes that cover this region, most specific first: itself, its
    /// city, its province (without repeats).
    pub fn covering(&self) -> Vec<String> {
        let mut out = vec![self.0.clone()];
        for n in [4, 2] {
            let code = format!("{:0<6}", &self.0[..n]);
            if !out.contains(&code) {
                out.push(code);
            }
        }
        out
    }

    /// Whether this region lies within `parent`, a region of `parent_level`.
    pub fn within(&self, parent: &str, parent_level: AuthorityLevel) -> bool {
        let n = parent_level.prefix_len();
        parent.len() >= n && self.0.get(..n) == parent.get(..n)
    }
}

impl AsRef<str> for Region {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AuthorityLevel::*;

    #[test]
    fn any_level_is_read_from_the_code_and_covered_upwards() {
        let (r, level) = Region::parse_any("440106").unwrap();
        assert_eq!(level, District);
        assert_eq!(r.covering(), ["440106", "440100", "440000"]);
        let (r, level) = Region::parse_any("440100").unwrap();
        assert_eq!(level, City);
        assert_eq!(r.covering(), ["440100", "440000"]);
        let (r, level) = Region::parse_any("440000").unwrap();
        assert_eq!(level, Province);
        assert_eq!(r.covering(), ["440000"]);
        assert!(Region::parse_any("4401").is_err());
        assert!(Region::parse_any("000000").is_err());
    }

    #[test]
    fn r_au_1_regions_fit_their_level() {
        assert!(Region::parse("440000", Province).is_ok());
        assert!(Region::parse("440100", City).is_ok());
        assert!(Region::parse("440106", District).is_ok());
        for (code, level) in [
            ("440100", Province),
            ("440000", City),
            ("440106", City),
            ("440100", District),
            ("440000", District),
            ("44010", District),
            ("44010a", District),
            ("000000", Province),
            ("４４００００", Province),
        ] {
            let e = Region::parse(code, level).unwrap_err();
            assert_eq!(e.code, "region_invalid", "{code} {level:?}");
        }
    }

    #[test]
    fn r_au_1_a_region_lies_within_its_parent() {
        let city = Region::parse("440100", City).unwrap();
        assert!(city.within("440000", Province));
        assert!(!city.within("450000", Province));
        let district = Region::parse("440106", District).unwrap();
        assert!(district.within("440100", City));
        assert!(!district.within("440300", City));
    }

    #[test]
    fn r_au_1_levels_go_province_city_district() {
        assert_eq!(Province.parent_level(), None);
        assert_eq!(City.parent_level(), Some(Province));
        assert_eq!(District.parent_level(), Some(City));
        for l in [Province, City, District] {
            assert_eq!(AuthorityLevel::parse(l.as_str()), Some(l));
        }
    }
}
