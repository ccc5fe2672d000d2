package bot

import (
	"strings"
	"testing"
	"time"
)

func TestParseDurationReadsWhatModeratorsType(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"10m", 10 * time.Minute},
		{"2h", 2 * time.Hour},
		{"7d", 7 * 24 * time.Hour},
		{"1w", 7 * 24 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{"1h 30m", 90 * time.Minute},
		{" 2 Days ", 48 * time.Hour},
		{"45s", 45 * time.Second},
		{"28d", 28 * 24 * time.Hour},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q): got %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestParseDurationErrorsSayHowToWriteOne(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "The duration is empty"},
		{"soon", `"soon" is not a duration: write a number and a unit`},
		{"10", `"10" has a number without a unit`},
		{"3x", `"3x" has an unknown unit "x"`},
		{"1h-5m", `"1h-5m" is not a duration`},
		{"99999999999d", "too long"},
		{"999999d", "too long"},
	}
	for _, c := range cases {
		_, err := ParseDuration(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseDuration(%q): got %v; want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestFormatDurationUsesTheLargestUnits(t *testing.T) {
	for d, want := range map[time.Duration]string{
		28 * 24 * time.Hour: "28d", 90 * time.Minute: "1h 30m", 45 * time.Second: "45s", 0: "0s", 500 * time.Millisecond: "500ms", -2 * time.Minute: "-2m",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v): got %q; want %q", d, got, want)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"10m", "1h30m", "2 days", "", "x", "9999999999999999999d", "1h 2m 3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && (d < 0 || d > 100*365*24*time.Hour) {
			t.Fatalf("ParseDuration(%q) = %v; want an error or a duration from 0 to 100 years", s, d)
		}
		if err != nil && d != 0 {
			t.Fatalf("ParseDuration(%q) = %v with error %v; want 0 with an error", s, d, err)
		}
	})
}
