'use strict';

// A minimal discord.js v14 bot answering /ping, the discord.js peer of
// Hearth's side-by-side benchmarks (see ../README.md). Caches are discord.js's
// defaults on purpose: their cost is part of what is compared.
//
// Environment: DISCORD_TOKEN, DISCORD_API (REST base, with or without /v10),
// PEER_INTENTS (default 1, GUILDS), PEER_LARGE_THRESHOLD (default 50),
// PEER_SHARDS (default 1). Stdout carries one JSON object per line for the
// harness; errors go to stderr.

const { performance } = require('node:perf_hooks');
const { Client, Events, Routes, version } = require('discord.js');

/** ms since the process started, with microseconds. */
function sinceStart() {
  return Math.round(performance.now() * 1000) / 1000;
}

/** Writes one JSON line to stdout with the time since start and the wall clock. */
function emit(event, fields = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...fields, ms: sinceStart(), unix_ms: Date.now() })}\n`);
}

/** Logs to stderr. */
function fail(where, err) {
  process.stderr.write(`discordjs peer: ${where}: ${err && err.stack ? err.stack : err}\n`);
}

/** Reads a non-negative integer from the environment. */
function intEnv(name, def) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    fail('config', `${name}=${JSON.stringify(raw)} is not a non-negative integer`);
    process.exit(2);
  }
  return n;
}

const token = process.env.DISCORD_TOKEN;
if (!token) {
  fail('config', 'DISCORD_TOKEN is not set');
  process.exit(2);
}
// @discordjs/rest builds `${api}/v${version}${route}`, so the API base must not
// carry the version: accept the emulator's printed .../api/v10 as well.
const api = (process.env.DISCORD_API || 'https://discord.com/api').replace(/\/+$/, '').replace(/\/v\d+$/, '');
const intents = intEnv('PEER_INTENTS', 1);
const largeThreshold = intEnv('PEER_LARGE_THRESHOLD', 50);
const shardCount = Math.max(1, intEnv('PEER_SHARDS', 1));

const client = new Client({
  intents,
  shards: [...Array(shardCount).keys()],
  shardCount,
  rest: { api },
  ws: { large_threshold: largeThreshold },
});

// READY of every shard, then every guild READY listed: counted from raw
// dispatches because discord.js's own clientReady waits for the guilds.
const pending = new Map(); // shard id -> Set of guild ids still to come
let readyShards = 0;
let guildTotal = 0;
let guildsDone = false;
let registered = false;

function checkGuilds() {
  if (guildsDone || readyShards < shardCount) return;
  for (const set of pending.values()) if (set.size) return;
  guildsDone = true;
  emit('guilds', { count: guildTotal });
}

client.ws.on('READY', (data, shardId) => {
  const ids = new Set(data.guilds.map(g => g.id));
  const set = pending.get(shardId);
  if (set) {
    // A re-identify: forget what this shard counted before.
    readyShards -= 1;
    guildTotal -= set.total;
  }
  ids.total = ids.size;
  pending.set(shardId, ids);
  readyShards += 1;
  guildTotal += ids.size;
  if (readyShards === shardCount && !guildsDone) emit('ready', { guilds: guildTotal, shards: shardCount });
  if (!registered) {
    registered = true;
    registerCommands(data.application.id);
  }
  checkGuilds();
});

client.ws.on('GUILD_CREATE', (data, shardId) => {
  const set = pending.get(shardId);
  if (set && set.delete(data.id)) checkGuilds();
});

/** Bulk-overwrites the global commands with /ping. */
async function registerCommands(appId) {
  try {
    await client.rest.put(Routes.applicationCommands(appId), {
      body: [{ name: 'ping', description: 'Answers Pong!', type: 1 }],
    });
    emit('commands', { names: ['ping'] });
  } catch (err) {
    fail('register /ping', err);
    registered = false;
  }
}

client.once(Events.ClientReady, c => {
  emit('client_ready', { guilds: c.guilds.cache.size });
});

client.on(Events.InteractionCreate, interaction => {
  if (!interaction.isChatInputCommand() || interaction.commandName !== 'ping') return;
  interaction.reply({ content: 'Pong!' }).catch(err => fail('reply to /ping', err));
});

client.on(Events.Error, err => fail('client', err));
client.on(Events.ShardError, (err, id) => fail(`shard ${id}`, err));

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  emit('stop', { signal });
  client
    .destroy()
    .catch(err => fail('destroy', err))
    .finally(() => process.exit(0));
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

emit('start', { library: 'discord.js', version, node: process.version, intents, large_threshold: largeThreshold, shards: shardCount });
client.login(token).catch(err => {
  fail('login', err);
  process.exit(1);
});
