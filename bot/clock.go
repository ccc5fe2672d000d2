package bot

import "time"

// Clock tells a module the time: when a timeout ends, how old a message
// is, when retention applies. Modules take one as an option so that tests
// can move time; discordtest.FakeClock is one.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
