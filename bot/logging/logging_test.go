package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// token looks like a Discord bot token: base64url parts joined by dots.
const token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"

// identify is the IDENTIFY payload as disgo logs it before sending it.
const identify = `{"op":2,"d":{"token":"` + token + `","intents":513,"properties":{"os":"linux"}}}`

type stringer string

func (s stringer) String() string { return string(s) }

type object struct{ secret string }

func (o object) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("inner", o.secret)
	enc.AddByteString("bytes", []byte(o.secret))
	return nil
}

type array []string

func (a array) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, s := range a {
		enc.AppendString(s)
	}
	return nil
}

// verboseError carries the secret only in its %+v form, which zap logs as errorVerbose.
type verboseError struct{}

func (verboseError) Error() string { return "plain" }

func (verboseError) Format(f fmt.State, verb rune) {
	if f.Flag('+') {
		fmt.Fprintf(f, "plain\nstack holding %s", token)
		return
	}
	fmt.Fprint(f, "plain")
}

func TestNewRedactsEveryFieldKind(t *testing.T) {
	tests := []struct {
		name string
		log  func(l *zap.Logger)
	}{
		{"message", func(l *zap.Logger) { l.Info("connecting with " + token) }},
		{"string", func(l *zap.Logger) { l.Info("m", zap.String("data", "x"+token+"y")) }},
		{"identify payload in a string", func(l *zap.Logger) { l.Debug("sending gateway message", zap.String("data", identify)) }},
		{"byte string", func(l *zap.Logger) { l.Info("m", zap.ByteString("raw", []byte(identify))) }},
		{"strings", func(l *zap.Logger) { l.Info("m", zap.Strings("list", []string{"a", token})) }},
		{"error", func(l *zap.Logger) { l.Info("m", zap.Error(fmt.Errorf("auth %s failed", token))) }},
		{"error verbose", func(l *zap.Logger) { l.Info("m", zap.Error(verboseError{})) }},
		{"errors", func(l *zap.Logger) { l.Info("m", zap.Errors("errs", []error{errors.New(token)})) }},
		{"stringer", func(l *zap.Logger) { l.Info("m", zap.Stringer("s", stringer(token))) }},
		{"object", func(l *zap.Logger) { l.Info("m", zap.Object("o", object{token})) }},
		{"inline object", func(l *zap.Logger) { l.Info("m", zap.Inline(object{token})) }},
		{"array", func(l *zap.Logger) { l.Info("m", zap.Array("a", array{token})) }},
		{"dict", func(l *zap.Logger) { l.Info("m", zap.Dict("d", zap.String("k", token))) }},
		{"namespace", func(l *zap.Logger) { l.Info("m", zap.Namespace("ns"), zap.String("k", token)) }},
		{"reflected struct", func(l *zap.Logger) {
			l.Info("m", zap.Reflect("r", struct{ Token string }{token}))
		}},
		{"any map", func(l *zap.Logger) { l.Info("m", zap.Any("m", map[string]any{"d": map[string]string{"token": token}})) }},
		{"key", func(l *zap.Logger) { l.Info("m", zap.Int(token, 1)) }},
		{"context field", func(l *zap.Logger) { l.With(zap.String("conn", token)).Info("m") }},
		{"nested context field", func(l *zap.Logger) {
			l.With(zap.Namespace("gw")).With(zap.String("conn", token)).Info("m", zap.Int("n", 1))
		}},
		{"logger name", func(l *zap.Logger) { l.Named("shard-" + token).Info("m") }},
		{"stack trace", func(l *zap.Logger) {
			ent := zapcore.Entry{Level: zapcore.ErrorLevel, Message: "m", Stack: "goroutine 1 [running]:\nmain.f(" + token + ")"}
			if ce := l.Core().Check(ent, nil); ce != nil {
				ce.Write()
			}
		}},
	}
	for _, format := range []string{"json", "console"} {
		for _, tt := range tests {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				l, err := New("debug", format, &buf, token)
				if err != nil {
					t.Fatal(err)
				}
				tt.log(l)
				out := buf.String()
				if out == "" {
					t.Fatal("got no output; want one line")
				}
				if strings.Contains(out, token) {
					t.Errorf("got %q; want no token in it", out)
				}
				if !strings.Contains(out, Redacted) {
					t.Errorf("got %q; want %s in it", out, Redacted)
				}
				if format == "json" {
					checkJSONLines(t, out)
				}
			})
		}
	}
}

func TestNewRedactsEscapedForms(t *testing.T) {
	secret := "se\"cr\\et\x01<&>"
	tests := []struct {
		name string
		log  func(l *zap.Logger)
	}{
		{"string", func(l *zap.Logger) { l.Info("m", zap.String("k", secret)) }},
		{"json in a string", func(l *zap.Logger) {
			b, _ := json.Marshal(map[string]string{"token": secret})
			l.Info("m", zap.String("data", string(b)))
		}},
		{"reflected", func(l *zap.Logger) { l.Info("m", zap.Reflect("k", []string{secret})) }},
		{"message", func(l *zap.Logger) { l.Info(secret) }},
	}
	escaped := []string{secret, zapEscape(secret), `se\"cr\\et\u0001\u003c\u0026\u003e`, `se\\\"cr\\\\et\\u0001`}
	for _, format := range []string{"json", "console"} {
		for _, tt := range tests {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				l, err := New("info", format, &buf, secret)
				if err != nil {
					t.Fatal(err)
				}
				tt.log(l)
				out := buf.String()
				for _, e := range escaped {
					if strings.Contains(out, e) {
						t.Errorf("got %q; want no %q in it", out, e)
					}
				}
				if !strings.Contains(out, Redacted) {
					t.Errorf("got %q; want %s in it", out, Redacted)
				}
			})
		}
	}
}

func TestNewRedactsSeveralSecretsAndIgnoresEmptyOnes(t *testing.T) {
	var buf bytes.Buffer
	l, err := New("info", "json", &buf, "", "alpha-secret", "", "alpha-secret-longer", "beta")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("one alpha-secret-longer two alpha-secret three beta four")
	out := buf.String()
	want := `one [REDACTED] two [REDACTED] three [REDACTED] four`
	if !strings.Contains(out, want) {
		t.Errorf("got %q; want it to hold %q", out, want)
	}
	for _, s := range []string{"alpha", "beta", "longer"} {
		if strings.Contains(out, s) {
			t.Errorf("got %q; want no %q in it", out, s)
		}
	}
}

func TestNewWithoutSecretsChangesNothing(t *testing.T) {
	var buf bytes.Buffer
	l, err := New("info", "json", &buf, "")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hello", zap.String("k", token))
	if out := buf.String(); !strings.Contains(out, token) || strings.Contains(out, Redacted) {
		t.Errorf("got %q; want the value untouched", out)
	}
}

func TestNewFiltersByLevel(t *testing.T) {
	logAll := func(l *zap.Logger) {
		l.Debug("at-debug")
		l.Info("at-info")
		l.Warn("at-warn")
		l.Error("at-error")
	}
	tests := []struct {
		level string
		want  []string
	}{
		{"debug", []string{"at-debug", "at-info", "at-warn", "at-error"}},
		{"info", []string{"at-info", "at-warn", "at-error"}},
		{"warn", []string{"at-warn", "at-error"}},
		{"error", []string{"at-error"}},
	}
	for _, tt := range tests {
		for _, format := range []string{"json", "console"} {
			t.Run(tt.level+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				l, err := New(tt.level, format, &buf)
				if err != nil {
					t.Fatal(err)
				}
				logAll(l)
				var got []string
				for _, m := range []string{"at-debug", "at-info", "at-warn", "at-error"} {
					if strings.Contains(buf.String(), m) {
						got = append(got, m)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("got %v; want %v", got, tt.want)
				}
			})
		}
	}
}

func TestNewFormats(t *testing.T) {
	tests := []struct {
		format   string
		wantJSON bool
	}{
		{"json", true},
		{"console", false},
		{"auto", true}, // a bytes.Buffer is no terminal
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			l, err := New("info", tt.format, &buf)
			if err != nil {
				t.Fatal(err)
			}
			l.Info("hello", zap.Int("n", 1))
			out := buf.String()
			if got := json.Valid([]byte(out)); got != tt.wantJSON {
				t.Errorf("got JSON %v for %q; want %v", got, out, tt.wantJSON)
			}
			if !tt.wantJSON && (!strings.Contains(out, "\tINFO\t") || strings.Contains(out, "\x1b[")) {
				t.Errorf("got %q; want a colour-free console line with INFO", out)
			}
		})
	}
}

func TestNewAutoIsJSONOnARegularFile(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := New("info", "auto", f)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hello")
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) {
		t.Errorf("got %q; want a JSON line", b)
	}
}

func TestNewRejectsBadLevelAndFormat(t *testing.T) {
	tests := []struct {
		level, format string
		want          string
	}{
		{"verbose", "json", `logging: level "verbose" is not one of debug, info, warn, error`},
		{"INFO", "json", `logging: level "INFO" is not one of debug, info, warn, error`},
		{"", "json", `logging: level "" is not one of debug, info, warn, error`},
		{"info", "text", `logging: format "text" is not one of auto, console, json`},
		{"info", "", `logging: format "" is not one of auto, console, json`},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+tt.format, func(t *testing.T) {
			l, err := New(tt.level, tt.format, &bytes.Buffer{})
			if err == nil || err.Error() != tt.want {
				t.Errorf("got %v; want %s", err, tt.want)
			}
			if l != nil {
				t.Errorf("got a logger; want nil")
			}
		})
	}
}

func TestSlogKeepsRedaction(t *testing.T) {
	tests := []struct {
		name string
		log  func(l *slog.Logger)
	}{
		{"identify in a string attribute", func(l *slog.Logger) {
			l.Debug("sending gateway message", slog.String("data", identify))
		}},
		{"identify in a nested group", func(l *slog.Logger) {
			l.Debug("sending", slog.Group("gateway", slog.Int("shard", 0), slog.Group("payload", slog.String("data", identify))))
		}},
		{"under WithGroup and With", func(l *slog.Logger) {
			l.WithGroup("gw").With(slog.String("conn", token)).Debug("m", slog.String("data", identify))
		}},
		{"message", func(l *slog.Logger) { l.Info("token " + token) }},
		{"error attribute", func(l *slog.Logger) { l.Error("m", slog.Any("err", errors.New("bad "+token))) }},
		{"any attribute", func(l *slog.Logger) { l.Info("m", slog.Any("v", map[string]string{"token": token})) }},
		{"log valuer", func(l *slog.Logger) { l.Info("m", slog.Any("v", valuer{})) }},
	}
	for _, format := range []string{"json", "console"} {
		for _, tt := range tests {
			t.Run(format+"/"+tt.name, func(t *testing.T) {
				var buf bytes.Buffer
				l, err := New("debug", format, &buf, token)
				if err != nil {
					t.Fatal(err)
				}
				tt.log(Slog(l))
				out := buf.String()
				if out == "" {
					t.Fatal("got no output; want one line")
				}
				if strings.Contains(out, token) {
					t.Errorf("got %q; want no token in it", out)
				}
				if !strings.Contains(out, Redacted) {
					t.Errorf("got %q; want %s in it", out, Redacted)
				}
				if format == "json" {
					checkJSONLines(t, out)
				}
			})
		}
	}
}

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue(identify) }

func TestSlogKeepsLevelAndName(t *testing.T) {
	var buf bytes.Buffer
	l, err := New("info", "json", &buf, token)
	if err != nil {
		t.Fatal(err)
	}
	s := Slog(l.Named("disgo"))
	if s.Enabled(t.Context(), slog.LevelDebug) {
		t.Error("got debug enabled at level info; want disabled")
	}
	s.Debug("hidden", slog.String("data", identify))
	s.Info("shown")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, "shown") {
		t.Errorf("got %q; want only the info line", out)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(out), &line); err != nil {
		t.Fatal(err)
	}
	if line["logger"] != "disgo" {
		t.Errorf("got logger %v; want disgo", line["logger"])
	}
	if c, _ := line["caller"].(string); !strings.HasPrefix(c, "logging/logging_test.go:") {
		t.Errorf("got caller %q; want this test file", c)
	}
}

func checkJSONLines(t *testing.T, out string) {
	t.Helper()
	for line := range strings.Lines(out) {
		if !json.Valid([]byte(line)) {
			t.Errorf("got %q; want a valid JSON line", line)
		}
	}
}

// FuzzZapEscape pins zapEscape to what zap's JSON encoder writes, which the redaction of escaped
// secrets relies on.
func FuzzZapEscape(f *testing.F) {
	for _, s := range []string{"", token, "a\"b\\c", "\x00\x1f\n\r\t", "\xff\xfe", "é\u2028\ufffd<&>"} {
		f.Add(s)
	}
	enc := zapcore.NewJSONEncoder(zapcore.EncoderConfig{MessageKey: "msg"})
	f.Fuzz(func(t *testing.T, s string) {
		buf, err := enc.EncodeEntry(zapcore.Entry{Message: s}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer buf.Free()
		got := buf.String()
		want := `{"msg":"` + zapEscape(s) + "\"}\n"
		if got != want {
			t.Errorf("got %q from zap; want %q", got, want)
		}
	})
}
