-- Guilds the bot was removed from: their temporary bans and pending
-- modlog posts wait until it is back (or until DeleteGuild erases them).
CREATE TABLE moderation_departures (
	guild_id INTEGER PRIMARY KEY,
	left_at  INTEGER NOT NULL
);
