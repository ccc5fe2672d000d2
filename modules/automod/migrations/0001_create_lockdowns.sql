-- Lockdowns: one per guild at most, with what it replaced so that
-- /lockdown end restores it exactly. Times are Unix milliseconds; IDs
-- are store.Snowflake; permissions are Discord's bit sets.
CREATE TABLE automod_lockdowns (
	guild_id         INTEGER PRIMARY KEY,
	started_at       INTEGER NOT NULL,
	-- who started it; 0: automod, on a raid
	started_by       INTEGER NOT NULL DEFAULT 0,
	reason           TEXT    NOT NULL DEFAULT '',
	-- the verification level the lockdown replaced, and the one it set;
	-- NULL: it did not change the level (or it has been restored)
	old_verification INTEGER,
	new_verification INTEGER
);

-- The channels a lockdown closed, with the @everyone overwrite each had
-- before: had_overwrite 1 with its allow and deny bits, or 0 when there
-- was none (then /lockdown end deletes the one it added).
CREATE TABLE automod_locked_channels (
	guild_id      INTEGER NOT NULL,
	channel_id    INTEGER NOT NULL,
	had_overwrite INTEGER NOT NULL,
	allow         INTEGER NOT NULL DEFAULT 0,
	deny          INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (guild_id, channel_id)
);
