//! The `limit` and `cursor` query of every list, read into the services'
//! [`Page`].

use serde::Deserialize;
use utoipa::IntoParams;
use validator::Validate;

use crate::error::ServiceError;
use crate::pagination::{DEFAULT_LIMIT, MAX_LIMIT, Page, decode};

/// `limit` and `cursor` of every list.
#[derive(Debug, Clone, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page (default 50).
    #[param(minimum = 1, maximum = 500)]
    #[validate(range(min = 1, max = 500))]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, handed back as it came: an
    /// opaque string (the pattern only says which strings can be one; what
    /// a cursor holds may change).
    #[param(
        max_length = 64,
        pattern = r"^([A-Za-z0-9_-]{21}[AQgw]|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$",
        example = "AZPKv0j3dBKbS3pyH1Ygsg"
    )]
    #[validate(length(max = 64))]
    pub cursor: Option<String>,
}

impl TryFrom<&PageQuery> for Page {
    type Error = ServiceError;

    fn try_from(q: &PageQuery) -> Result<Self, Self::Error> {
        let after = match &q.cursor {
            None => None,
            Some(c) => Some(decode(c).ok_or_else(|| {
                ServiceError::invalid_field(
                    "cursor_invalid",
                    "cursor",
                    "the cursor is not one this API gave out",
                )
            })?),
        };
        Ok(Self {
            limit: u64::from(q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)),
            after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_cursors() {
        let p = Page::try_from(&PageQuery {
            limit: None,
            cursor: None,
        })
        .unwrap();
        assert_eq!(p.limit, 50);
        assert!(
            Page::try_from(&PageQuery {
                limit: None,
                cursor: Some("nope".into())
            })
            .is_err()
        );
    }
}
