// Package bot is Hearth's host: the module contract, the Host a module
// uses, the command pipeline, the bus events, and the runtime that runs
// them against Discord through disgo.
//
// # Lifecycle
//
// Runtime.Run, in order: build REST (done by New); ask Discord for the
// gateway and check session_start_limit (none left: refuse, saying when
// they reset); apply the modules' migrations; Init every module in list
// order, each with its own Host (ErrSkip stands a module aside; any other
// error stops start-up, naming the module); sync the commands (PUT only
// when Discord's differ); open the gateway with exactly the union of the
// intents the modules that did not skip asked for (a refusal such as
// 4014 is returned with what to enable where); Start every module; serve
// until the context ends. Shutdown: stop intake, close the shards, let
// in-flight commands finish (up to the handler timeout), drain the bus,
// Stop the modules in reverse order (Stop is safe after a failed or
// skipped Init), close REST. Every step has a deadline.
//
// # Concurrency
//
// disgo's shard read loops hand each dispatch to the runtime before
// disgo's own handler runs under its one mutex; the runtime only
// translates and hands off. Interactions each run in their own goroutine
// under a semaphore of Pipeline.Concurrency; when it is full the person
// gets an ephemeral "busy" reply (counted). Other events go through a
// bounded queue onto the bus; a full queue makes intake wait
// (backpressure reaches the websocket) rather than drop. Every Host
// method is safe for concurrent use once Init has returned.
//
// # What "acknowledged" means
//
// An interaction is acknowledged once answered or deferred: the pipeline
// defers it about Pipeline.AutoDeferAfter after its creation time (its
// snowflake time, so one replayed late after a RESUME is deferred at
// once), so a slow handler never loses it. A store write is acknowledged
// when it returned nil. Gateway intake is exactly once per dispatch: a
// RESUME replays only what was missed.
//
// # Errors
//
// A handler returns a *UserError for something the person should read
// (shown ephemeral); any other error, a panic or a timeout shows
// "Something went wrong (ref <id>)" and is logged with the same
// reference and the stack. A panic in one module never reaches another:
// handlers and bus subscribers recover, and so does every other call the
// host makes into a module (Init, Validate, Start, Stop, DeleteGuild,
// ExportUser, DeleteUser), which then fails as if it had returned
// "<method> panicked: ...".
//
// # Sending
//
// Everything the bot sends through REST or as a reply uses
// allowed_mentions that ping nobody, unless the module sets them.
package bot
