-- Per-guild module switches. A guild with no row for a module has it on:
-- modules are enabled by default.
-- guild_id holds the snowflake's 64 bits as a signed INTEGER (store.Snowflake).
-- updated_at is Unix time in milliseconds, UTC.
CREATE TABLE guild_modules (
    guild_id   INTEGER NOT NULL,
    module     TEXT    NOT NULL,
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, module)
) STRICT, WITHOUT ROWID;
