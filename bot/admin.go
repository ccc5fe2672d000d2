package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

func metricsHandler(m *metrics) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// AdminHandler serves /metrics, /healthz (the process answers) and
// /readyz (every shard ready and the store answers; otherwise 503 with
// what is wrong), with admin.pprof Go's profiles under /debug/pprof/,
// and /users/{id}/data: GET exports and DELETE erases what the modules
// hold about a person, for a request that carries AdminKey (`hearth data`).
func (rt *Runtime) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", rt.Metrics())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		ok, text := rt.Ready(ctx)
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, text)
	})
	if rt.cfg.Admin.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /users/{id}/data", rt.personalData(func(ctx context.Context, id snowflake.ID) (any, error) {
		return rt.ExportUser(ctx, id)
	}))
	mux.HandleFunc("DELETE /users/{id}/data", rt.personalData(func(ctx context.Context, id snowflake.ID) (any, error) {
		return rt.DeleteUser(ctx, id)
	}))
	return mux
}

// AdminKey is the key a request for personal data on the admin listener
// must carry (Authorization: Bearer <key>): derived from the bot token,
// so that whoever runs `hearth data` with the token in the environment
// has it, and nobody else does, wherever admin.addr listens (/metrics
// may face a Prometheus on another host). The token itself is never sent.
func AdminKey(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("hearth admin: personal data"))
	return hex.EncodeToString(m.Sum(nil))
}

// personalData serves one of the personal-data requests: it checks the
// key and the user ID, and answers do's result as JSON (500 when do
// failed, with what it did all the same).
func (rt *Runtime) personalData(do func(context.Context, snowflake.ID) (any, error)) http.HandlerFunc {
	key := AdminKey(rt.opts.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !hmac.Equal([]byte(got), []byte(key)) {
			http.Error(w, "personal data needs the key derived from the bot token: use `hearth data` with HEARTH_TOKEN set", http.StatusUnauthorized)
			return
		}
		id, err := snowflake.Parse(r.PathValue("id"))
		if err != nil || id == 0 {
			http.Error(w, fmt.Sprintf("user ID %q is not a Discord ID (a number such as 80351110224678912)", r.PathValue("id")), http.StatusBadRequest)
			return
		}
		res, err := do(r.Context(), id)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case errors.Is(err, errNotReady):
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		case err != nil:
			w.WriteHeader(http.StatusInternalServerError)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			rt.log.Warn("personal data: answer not sent", zap.Error(err))
		}
	}
}
