-- Per-guild settings: one JSON document per guild and module (the
-- module's settings section), and the history of every change to it and
-- to the module switches of guild_modules, for the audit log and revert.
-- guild_id and actor_id hold snowflakes' 64 bits as signed INTEGERs
-- (store.Snowflake); times are Unix time in milliseconds, UTC.
CREATE TABLE guild_settings (
    guild_id   INTEGER NOT NULL,
    module     TEXT    NOT NULL,
    value      TEXT    NOT NULL CHECK (json_valid(value)),
    updated_at INTEGER NOT NULL,
    updated_by INTEGER NOT NULL,
    PRIMARY KEY (guild_id, module)
) STRICT, WITHOUT ROWID;

CREATE TABLE guild_settings_history (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    module     TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('settings', 'enabled')),
    old_value  TEXT CHECK (old_value IS NULL OR json_valid(old_value)), -- NULL: nothing stored (defaults)
    new_value  TEXT CHECK (new_value IS NULL OR json_valid(new_value)), -- NULL: reset to defaults
    actor_id   INTEGER NOT NULL, -- who changed it; 0: the bot itself or an operator
    reason     TEXT    NOT NULL DEFAULT '',
    changed_at INTEGER NOT NULL
) STRICT;

CREATE INDEX guild_settings_history_by_guild ON guild_settings_history (guild_id, module, id);
CREATE INDEX guild_settings_history_by_time ON guild_settings_history (changed_at);
