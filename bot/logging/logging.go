// Package logging builds Hearth's one zap logger and the slog bridge that disgo logs through.
//
// Every line the logger writes passes through a redacting encoder: each secret given to New (the bot
// token, and any other) is replaced by [REDACTED] in the encoded line, whatever carried it: the
// message, a field of any type, a field added with With, an error, a stack trace, the logger name.
// Because the redaction works on the encoded bytes, no field type can slip past it. Besides the
// secret as given, its JSON-escaped forms are redacted too (one and two levels deep, as when a
// payload holding the secret is logged as a JSON string), which matters only for secrets holding a
// character JSON escapes (a quote, a backslash, a control character). Binary fields (zap.Binary,
// and zap.Any or slog.Any of a []byte) are written base64-encoded, and that form is not redacted:
// log payloads as strings (zap.ByteString, slog.String), as disgo does.
package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/buffer"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// Redacted replaces every secret in the logger's output.
const Redacted = "[REDACTED]"

// The values New accepts, for its error messages.
const (
	allowedLevels  = "debug, info, warn, error"
	allowedFormats = "auto, console, json"
)

// New returns a logger that writes lines at level and above to w, with every secret replaced by
// [REDACTED]. level is debug, info, warn or error; format is console (human-readable, colour-free),
// json (one object a line), or auto: console when w is a terminal, json otherwise. Empty secrets are
// ignored. Writes to w are serialised, so w need not be safe for concurrent use.
func New(level, format string, w io.Writer, secrets ...string) (*zap.Logger, error) {
	var lvl zapcore.Level
	switch level {
	case "debug":
		lvl = zapcore.DebugLevel
	case "info":
		lvl = zapcore.InfoLevel
	case "warn":
		lvl = zapcore.WarnLevel
	case "error":
		lvl = zapcore.ErrorLevel
	default:
		return nil, fmt.Errorf("logging: level %q is not one of %s", level, allowedLevels)
	}
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "console"
		}
	}
	var enc zapcore.Encoder
	switch format {
	case "console":
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeLevel = zapcore.CapitalLevelEncoder // no colour: the output may be a file or a journal
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewConsoleEncoder(cfg)
	case "json":
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
	default:
		return nil, fmt.Errorf("logging: format %q is not one of %s", format, allowedFormats)
	}
	enc = newRedactor(enc, secrets)
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel)), nil
}

// Slog returns a slog logger that writes through l's core, so it keeps l's level, format and
// redaction. It is what disgo gets. Records carry their caller, and error records a stack trace.
func Slog(l *zap.Logger) *slog.Logger {
	opts := []zapslog.HandlerOption{zapslog.WithCaller(true)}
	if name := l.Name(); name != "" {
		opts = append(opts, zapslog.WithName(name))
	}
	return slog.New(zapslog.NewHandler(l.Core(), opts...))
}

// isTerminal reports whether w is a character device, such as a terminal. It uses only the
// standard library, so /dev/null counts as one too, which does no harm.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// redactor is a zapcore.Encoder that replaces secrets in each encoded entry.
type redactor struct {
	zapcore.Encoder
	forms [][]byte // every form of every secret, longest first; never empty
}

// newRedactor wraps enc so that every form of every non-empty secret is redacted. With no
// secret it returns enc itself.
func newRedactor(enc zapcore.Encoder, secrets []string) zapcore.Encoder {
	var forms []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		forms = append(forms, s)
		for _, e := range escapes(s) {
			forms = append(forms, e)
			forms = append(forms, escapes(e)...)
		}
	}
	if len(forms) == 0 {
		return enc
	}
	// Longest first, so that a secret holding another is redacted whole.
	slices.SortFunc(forms, func(a, b string) int { return len(b) - len(a) })
	forms = slices.Compact(forms)
	r := &redactor{Encoder: enc}
	for _, f := range forms {
		r.forms = append(r.forms, []byte(f))
	}
	return r
}

// Clone implements zapcore.Encoder; the clone redacts too.
func (r *redactor) Clone() zapcore.Encoder {
	return &redactor{Encoder: r.Encoder.Clone(), forms: r.forms}
}

// EncodeEntry implements zapcore.Encoder: it encodes with the wrapped encoder, then redacts.
func (r *redactor) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	buf, err := r.Encoder.EncodeEntry(ent, fields)
	if buf == nil {
		return buf, err
	}
	line := buf.Bytes()
	changed := false
	for _, f := range r.forms {
		if bytes.Contains(line, f) {
			line = bytes.ReplaceAll(line, f, []byte(Redacted))
			changed = true
		}
	}
	if changed {
		buf.Reset()
		_, _ = buf.Write(line)
	}
	return buf, err
}

// escapes returns the forms s takes inside a JSON string, as zap's JSON encoder and as
// encoding/json (with and without HTML escaping) write it, leaving out s itself.
func escapes(s string) []string {
	var out []string
	add := func(e string) {
		if e != s && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	add(zapEscape(s))
	for _, html := range []bool{false, true} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if enc.Encode(s) == nil {
			q := strings.TrimSuffix(b.String(), "\n")
			add(q[1 : len(q)-1])
		}
	}
	return out
}

// zapEscape escapes s as zap's JSON encoder does inside a string.
func zapEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\\' || r == '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`) // zap replaces invalid UTF-8
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Interface guards
var _ zapcore.Encoder = (*redactor)(nil)
