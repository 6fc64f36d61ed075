//! Keyset pagination over time-ordered (v7) ids: `limit` and an opaque
//! `cursor` in (`routes::pagination::PageQuery` reads them into a [`Page`]),
//! `{items, next_cursor}` out (API.md "Lists"). A cursor is a string the
//! client hands back unread (today the last id's 16 bytes in URL-safe
//! base64); what it holds may change without notice. Cursors given out
//! before they were opaque (the id itself) are still read.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: u64,
    pub after: Option<Uuid>,
}

impl Page {
    /// Rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }

    /// Runs a list query keyed on a time-ordered id column: orders by it,
    /// continues after the cursor, fetches one extra row, and gives the rows
    /// with the next cursor. `newest_first` pages backwards in time.
    pub async fn load<E, C>(
        &self,
        conn: &C,
        query: Select<E>,
        id: E::Column,
        newest_first: bool,
        key: impl Fn(&E::Model) -> Uuid,
    ) -> Result<(Vec<E::Model>, Option<String>), DbErr>
    where
        E: EntityTrait,
        C: ConnectionTrait,
    {
        let query = if newest_first {
            query.order_by_desc(id)
        } else {
            query.order_by_asc(id)
        };
        let query = match self.after {
            Some(after) if newest_first => query.filter(id.lt(after)),
            Some(after) => query.filter(id.gt(after)),
            None => query,
        };
        let rows = query.limit(self.fetch()).all(conn).await?;
        Ok(self.finish(rows, key))
    }

    /// Cuts the extra row off and gives the cursor of the next page.
    pub fn finish<T>(&self, mut rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> (Vec<T>, Option<String>) {
        if rows.len() as u64 > self.limit {
            rows.truncate(self.limit as usize);
            let next = rows.last().map(|r| encode(id(r)));
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

/// The cursor that continues after `id`.
pub fn encode(id: Uuid) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.as_bytes())
}

/// The id a cursor continues after; `None` for one this API never gave.
pub fn decode(cursor: &str) -> Option<Uuid> {
    use base64::Engine;
    if let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor)
        && let Ok(bytes) = <[u8; 16]>::try_from(bytes.as_slice())
    {
        return Some(Uuid::from_bytes(bytes));
    }
    // A cursor given out before cursors were opaque.
    Uuid::parse_str(cursor).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_gives_a_cursor_only_when_more_follow() {
        let p = Page {
            limit: 2,
            after: None,
        };
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        let (items, next) = p.finish(ids.clone(), |u| *u);
        assert_eq!(items.len(), 2);
        assert_eq!(next, Some(encode(ids[1])));
        assert_eq!(decode(&encode(ids[1])), Some(ids[1]));
        // Cursors of before stay readable.
        assert_eq!(decode(&ids[1].to_string()), Some(ids[1]));
        assert_eq!(decode("AAAA"), None);
        let (items, next) = p.finish(ids[..2].to_vec(), |u| *u);
        assert_eq!(items.len(), 2);
        assert_eq!(next, None);
    }
}
