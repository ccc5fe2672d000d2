-- Guilds that removed the bot, and since when: their data waits out the
-- grace period (store.guild_grace) and is then erased, unless the bot is
-- added back first. guild_id holds the snowflake's 64 bits as a signed
-- INTEGER (store.Snowflake); left_at is Unix time in milliseconds, UTC.
CREATE TABLE guild_departures (
    guild_id INTEGER PRIMARY KEY,
    left_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX guild_departures_by_time ON guild_departures (left_at);
