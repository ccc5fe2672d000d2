package loadtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Endpoint is where the bot under test finds Discord: the emulator.
type Endpoint struct {
	// RESTURL is the API base with its version, ".../api/v10".
	RESTURL    string
	GatewayURL string
	Token      string
	Shards     int
}

// Target is a bot to measure: Hearth, or a peer.
type Target interface {
	// Name names the bot in reports.
	Name() string
	// Start launches the bot as a child process against the emulator, in
	// dir (a fresh directory for its files).
	Start(ctx context.Context, emu Endpoint, dir string) (*Process, error)
}

// Process is a running bot under test.
type Process struct {
	cmd    *exec.Cmd
	ready  chan struct{}
	exited chan struct{}
	err    error // why it exited, once exited is closed
	// admin is the bot's admin listener (Hearth only), for metrics and
	// profiles; "" when there is none.
	admin string
	// dbPath is the bot's database file, for its size; "" when none.
	dbPath string
	stderr *tailBuffer

	readyOnce sync.Once
}

// PID returns the process's ID.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// WaitReady waits until the bot says it is ready, it exits, or ctx ends.
func (p *Process) WaitReady(ctx context.Context) error {
	select {
	case <-p.ready:
		return nil
	case <-p.exited:
		return fmt.Errorf("loadtest: the bot exited before it was ready: %v; its last output:\n%s", p.err, p.stderr.String())
	case <-ctx.Done():
		return fmt.Errorf("loadtest: the bot was not ready in time: %w; its last output:\n%s", ctx.Err(), p.stderr.String())
	}
}

// Stop asks the bot to stop (SIGTERM), waits up to grace, then kills it.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("loadtest: the bot did not stop within %s of SIGTERM and was killed", grace)
	}
}

func (p *Process) markReady() { p.readyOnce.Do(func() { close(p.ready) }) }

// start runs cmd and watches it exit.
func start(cmd *exec.Cmd, stderr *tailBuffer) (*Process, error) {
	p := &Process{cmd: cmd, ready: make(chan struct{}), exited: make(chan struct{}), stderr: stderr}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("loadtest: start %s: %w", cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// tailBuffer keeps the last bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 8 << 10

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Hearth runs `hearth run` from Binary with every module the binary
// has, a real SQLite file in the run's directory, and the admin
// listener on a free loopback port.
type Hearth struct {
	// Binary is the hearth executable (os.Executable() for `hearth
	// loadtest` itself).
	Binary string
	// ExtraConfig is YAML appended to the generated config (a modules
	// section, say).
	ExtraConfig string
	// Pprof turns on admin.pprof, for profiles.
	Pprof bool
	// LargeThreshold is discord.large_threshold (0: Hearth's default).
	LargeThreshold int
	// Env is added to the bot's environment only (GOGC=200, say), not to
	// the emulator's and the load generator's, which run here.
	Env []string
}

// Name returns "hearth".
func (h Hearth) Name() string { return "hearth" }

// Start writes the config and runs the bot; it is ready when /readyz
// answers 200.
func (h Hearth) Start(ctx context.Context, emu Endpoint, dir string) (*Process, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "hearth.db")
	large := ""
	if h.LargeThreshold > 0 {
		large = fmt.Sprintf("  large_threshold: %d\n", h.LargeThreshold)
	}
	cfg := fmt.Sprintf(`discord:
  rest_url: %s
  gateway_url: %s
  shards: %d
%sstore:
  path: %s
  backup_every: 0s
admin:
  addr: %s
  pprof: %t
log:
  level: warn
  format: json
%s`, emu.RESTURL, emu.GatewayURL, emu.Shards, large, db, addr, h.Pprof, h.ExtraConfig)
	path := filepath.Join(dir, "hearth.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, h.Binary, "run", "--config", path)
	cmd.Env = append(append(os.Environ(), h.Env...), "HEARTH_TOKEN="+emu.Token)
	tail := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = tail, tail
	p, err := start(cmd, tail)
	if err != nil {
		return nil, err
	}
	p.admin, p.dbPath = "http://"+addr, db
	go func() {
		for {
			select {
			case <-p.exited:
				return
			case <-time.After(20 * time.Millisecond):
			}
			resp, err := http.Get(p.admin + "/readyz")
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.markReady()
				return
			}
		}
	}()
	return p, nil
}

// freeAddr returns a loopback address with a free port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// Command runs another bot (a peer) with the emulator's endpoints in its
// environment: DISCORD_TOKEN, DISCORD_API (the REST base without the
// version), DISCORD_GATEWAY, PEER_SHARDS, plus Env. It is ready when it
// prints the JSON line {"event":"guilds",...} (every guild of READY
// arrived) on stdout.
type Command struct {
	// Label names the peer in reports.
	Label string
	Argv  []string
	Dir   string
	Env   []string
}

// Name returns the label.
func (c Command) Name() string { return c.Label }

// Start runs the peer.
func (c Command) Start(ctx context.Context, emu Endpoint, dir string) (*Process, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("loadtest: a Command target needs Argv")
	}
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(append(os.Environ(), "DISCORD_TOKEN="+emu.Token,
		"DISCORD_API="+strings.TrimSuffix(emu.RESTURL, "/v10"), "DISCORD_GATEWAY="+emu.GatewayURL,
		fmt.Sprintf("PEER_SHARDS=%d", emu.Shards)), c.Env...)
	tail := &tailBuffer{}
	cmd.Stderr = tail
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p, err := start(cmd, tail)
	if err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var line struct{ Event string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Event == "guilds" {
				p.markReady()
			}
		}
	}()
	return p, nil
}
