-- The change feed's id, in every pull cursor: a cursor from another database (one replaced or
-- restored from a backup) is answered 410 instead of being read against the wrong feed.
-- Keep in step with sqlite_0003_feed_id.sql.

ALTER TABLE change_counter ADD COLUMN feed_id TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE change_counter SET feed_id = md5(random()::text || clock_timestamp()::text);
-- change_counter.pruned_through (0002) is no longer used: the feed is compacted, never cut
-- short (Store::compact_changes), so every cursor of this feed stays valid.
