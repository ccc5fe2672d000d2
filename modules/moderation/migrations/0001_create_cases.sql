-- Cases: every moderation action, numbered per guild. Times are Unix
-- milliseconds; Discord IDs are store.Snowflake (0: none).
CREATE TABLE moderation_cases (
	guild_id     INTEGER NOT NULL,
	case_id      INTEGER NOT NULL,
	action       TEXT    NOT NULL,
	target_id    INTEGER NOT NULL,
	target_name  TEXT    NOT NULL DEFAULT '',
	moderator_id INTEGER NOT NULL,
	reason       TEXT    NOT NULL DEFAULT '',
	details      TEXT    NOT NULL DEFAULT '',
	source       TEXT    NOT NULL DEFAULT 'command',
	created_at   INTEGER NOT NULL,
	-- the end of a timeout or of a temporary ban; NULL: none
	ends_at      INTEGER,
	-- the case an unwarn, an expiry or an escalation refers to
	ref_case     INTEGER,
	-- a warning removed by /unwarn: when, by whom, in which case
	revoked_at   INTEGER,
	revoked_by   INTEGER,
	revoked_case INTEGER,
	-- the audit log entry a case from Discord's own interface came from
	audit_entry  INTEGER,
	-- posting to the modlog: pending, posted, none (no log channel),
	-- skipped (the bot may not post there) or failed
	modlog       TEXT    NOT NULL DEFAULT 'none',
	PRIMARY KEY (guild_id, case_id)
);

CREATE INDEX moderation_cases_by_target ON moderation_cases (guild_id, target_id, case_id);
CREATE INDEX moderation_cases_by_moderator ON moderation_cases (moderator_id);
CREATE INDEX moderation_cases_modlog_pending ON moderation_cases (guild_id, case_id) WHERE modlog = 'pending';
CREATE UNIQUE INDEX moderation_cases_by_audit_entry ON moderation_cases (guild_id, audit_entry) WHERE audit_entry IS NOT NULL;

-- The last case number of each guild: numbers are never reused, even
-- when a person's cases are erased.
CREATE TABLE moderation_counters (
	guild_id  INTEGER PRIMARY KEY,
	last_case INTEGER NOT NULL
);

-- Temporary bans waiting to be lifted. due_at is when the next attempt
-- is made: ends_at at first, later after a failed attempt.
CREATE TABLE moderation_tempbans (
	guild_id INTEGER NOT NULL,
	user_id  INTEGER NOT NULL,
	case_id  INTEGER NOT NULL,
	ends_at  INTEGER NOT NULL,
	due_at   INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (guild_id, user_id)
);

CREATE INDEX moderation_tempbans_by_due ON moderation_tempbans (due_at);
