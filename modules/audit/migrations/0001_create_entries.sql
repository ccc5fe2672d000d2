-- The audit trail: every action a module reported (Host.Record) and
-- every settings change and module switch (Host.RecordSetting), one row
-- each. Times are Unix milliseconds; Discord IDs are store.Snowflake
-- (0: none, the bot itself, or an erased person: see erased).
CREATE TABLE audit_entries (
	id             INTEGER PRIMARY KEY,
	guild_id       INTEGER NOT NULL,
	at             INTEGER NOT NULL,
	-- the module that acted, or whose settings changed
	module         TEXT    NOT NULL,
	-- "warn", "automod.delete", ...; for settings "settings.set",
	-- "settings.reset", "module.enable" or "module.disable"
	kind           TEXT    NOT NULL,
	actor_id       INTEGER NOT NULL DEFAULT 0,
	target_id      INTEGER NOT NULL DEFAULT 0,
	-- 1: the actor's data was erased; 2: the target's (bits)
	erased         INTEGER NOT NULL DEFAULT 0,
	reason         TEXT    NOT NULL DEFAULT '',
	case_id        INTEGER NOT NULL DEFAULT 0,
	dry_run        INTEGER NOT NULL DEFAULT 0,
	-- a JSON object of short facts, '' for none
	details        TEXT    NOT NULL DEFAULT '',
	-- settings changes: the dotted key ('' for a whole section), the
	-- values before and after, and the change's ID in the store's history
	setting_key    TEXT    NOT NULL DEFAULT '',
	old_value      TEXT    NOT NULL DEFAULT '',
	new_value      TEXT    NOT NULL DEFAULT '',
	change_id      INTEGER NOT NULL DEFAULT 0,
	correlation_id TEXT    NOT NULL DEFAULT ''
);

-- /audit, newest first, unfiltered or since a time.
CREATE INDEX audit_entries_by_guild ON audit_entries (guild_id, at);
-- /audit action:..., and the list of kinds a guild has.
CREATE INDEX audit_entries_by_kind ON audit_entries (guild_id, kind, at);
-- /audit user:... (as actor or as target), and a person's export or erasure.
CREATE INDEX audit_entries_by_actor ON audit_entries (actor_id, guild_id, at);
CREATE INDEX audit_entries_by_target ON audit_entries (target_id, guild_id, at);
-- Retention deletes by age across guilds.
CREATE INDEX audit_entries_by_time ON audit_entries (at);
