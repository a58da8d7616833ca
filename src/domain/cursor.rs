//! Opaque keyset cursors. A cursor names the last row a page returned; the next page starts
//! strictly after it. Each list has its own tag so a cursor from one list is refused by another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use uuid::Uuid;

const SEP: char = '\u{1f}';

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorError(pub String);

impl std::fmt::Display for CursorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn encode(tag: &str, parts: &[&str]) -> String {
    let mut raw = String::from(tag);
    for p in parts {
        raw.push(SEP);
        raw.push_str(p);
    }
    URL_SAFE_NO_PAD.encode(raw.as_bytes())
}

fn decode(tag: &str, cursor: &str, n: usize) -> Result<Vec<String>, CursorError> {
    let bad = || {
        CursorError(
            "the cursor is not one this list gave out: pass the `next_cursor` value of the previous page unchanged, or leave it out to start at the first page".into(),
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let raw = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = raw.split(SEP);
    if parts.next() != Some(tag) {
        return Err(bad());
    }
    let parts: Vec<String> = parts.map(str::to_string).collect();
    if parts.len() != n {
        return Err(bad());
    }
    Ok(parts)
}

/// Position in a list ordered by (an `i64` key, id) — timelines and case lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeCursor {
    pub at: i64,
    pub id: Uuid,
}

impl TimeCursor {
    pub fn encode(&self, tag: &str) -> String {
        encode(tag, &[&self.at.to_string(), &self.id.to_string()])
    }
    pub fn decode(tag: &str, cursor: &str) -> Result<Self, CursorError> {
        let parts = decode(tag, cursor, 2)?;
        let at = parts[0].parse().map_err(|_| CursorError("the cursor is damaged: start again without it".into()))?;
        let id = parts[1].parse().map_err(|_| CursorError("the cursor is damaged: start again without it".into()))?;
        Ok(TimeCursor { at, id })
    }
}

/// Position in a change feed numbered from 1 (0 is before the first change), with the id of
/// the feed it belongs to: a cursor from another database (a replaced or restored one) is
/// recognised as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedCursor {
    pub feed: String,
    pub seq: i64,
}

impl FeedCursor {
    pub fn encode(&self, tag: &str) -> String {
        encode(tag, &[&self.feed, &self.seq.to_string()])
    }
    pub fn decode(tag: &str, cursor: &str) -> Result<Self, CursorError> {
        let parts = decode(tag, cursor, 2)?;
        match parts[1].parse::<i64>() {
            Ok(n) if n >= 0 => Ok(FeedCursor { feed: parts[0].clone(), seq: n }),
            _ => Err(CursorError("the cursor is damaged: start again without it".into())),
        }
    }
}

/// Position in a list ordered by (a text key, id) — customer search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextCursor {
    pub key: String,
    pub id: Uuid,
}

impl TextCursor {
    pub fn encode(&self, tag: &str) -> String {
        encode(tag, &[&self.key, &self.id.to_string()])
    }
    pub fn decode(tag: &str, cursor: &str) -> Result<Self, CursorError> {
        let parts = decode(tag, cursor, 2)?;
        let id = parts[1].parse().map_err(|_| CursorError("the cursor is damaged: start again without it".into()))?;
        Ok(TextCursor { key: parts[0].clone(), id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_foreign_cursors() {
        let c = TimeCursor { at: 1_700_000_000_000_000, id: Uuid::now_v7() };
        let s = c.encode("timeline");
        assert_eq!(TimeCursor::decode("timeline", &s).unwrap(), c);
        assert!(TimeCursor::decode("cases", &s).is_err());
        assert!(TimeCursor::decode("timeline", "not base64!").is_err());
        assert!(TimeCursor::decode("timeline", "").is_err());
        let f = FeedCursor { feed: "a1b2".into(), seq: 42 };
        assert_eq!(FeedCursor::decode("changes", &f.encode("changes")).unwrap(), f);
        assert!(FeedCursor::decode("changes", &c.encode("changes")).is_err());
        let t = TextCursor { key: "anna\u{e9}".into(), id: Uuid::now_v7() };
        assert_eq!(TextCursor::decode("search", &t.encode("search")).unwrap(), t);
    }
}
