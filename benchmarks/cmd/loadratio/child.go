package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// childSpec describes a child process of this program.
type childSpec struct {
	// exe is this program (os.Executable), args its arguments.
	exe  string
	args []string
	// taskset and cpus pin the child with "taskset -c cpus" when cpus is
	// not empty.
	taskset string
	cpus    string
	// gomaxprocs sets GOMAXPROCS in the child's environment; 0 removes
	// it, so the child gets the runtime's default.
	gomaxprocs int
	// env is added to the environment.
	env []string
	// logs also receives the child's stderr as it comes (-v), if not nil.
	logs io.Writer
}

// argv returns the command line: taskset first when pinned.
func (s childSpec) argv() []string {
	argv := append([]string{s.exe}, s.args...)
	if s.cpus != "" {
		argv = append([]string{s.taskset, "-c", s.cpus}, argv...)
	}
	return argv
}

// environ returns the child's environment.
func (s childSpec) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	if s.gomaxprocs > 0 {
		env = append(env, fmt.Sprintf("GOMAXPROCS=%d", s.gomaxprocs))
	}
	return append(env, s.env...)
}

// String is the command as a shell would run it (for the report).
func (s childSpec) String() string {
	var b strings.Builder
	if s.gomaxprocs > 0 {
		fmt.Fprintf(&b, "GOMAXPROCS=%d ", s.gomaxprocs)
	}
	b.WriteString(shellJoin(s.argv()))
	return b.String()
}

// command returns the exec.Cmd of s, killed when ctx ends.
func (s childSpec) command(ctx context.Context) *exec.Cmd {
	argv := s.argv()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = s.environ()
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// serverChild is a running -serve child.
type serverChild struct {
	spec  childSpec
	cmd   *exec.Cmd
	stdin io.WriteCloser
	logs  *tailBuffer
	info  readyInfo
	// exited is closed once the process has been waited for; waitErr is
	// then its result.
	exited  chan struct{}
	waitErr error
}

// readyTimeout bounds the wait for a server child's ready line (the
// fixture hashes a few passwords at the bcrypt cost).
const readyTimeout = 2 * time.Minute

// startServerChild starts spec (a -serve child) and waits for its ready
// line.
func startServerChild(ctx context.Context, spec childSpec) (*serverChild, error) {
	cmd := spec.command(ctx)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("server child: %w", err)
	}
	lines := make(chan []byte, 1)
	cmd.Stdout = &firstLineWriter{lines: lines}
	logs := &tailBuffer{max: 64 << 10, also: spec.logs}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", spec, err)
	}
	c := &serverChild{spec: spec, cmd: cmd, stdin: stdin, logs: logs, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()

	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	select {
	case <-c.exited:
		return nil, c.fail("exited before its ready line")
	case line := <-lines:
		if err := json.Unmarshal(line, &c.info); err != nil {
			return nil, c.fail(fmt.Sprintf("printed a bad ready line %q: %v", line, err))
		}
		return c, nil
	case <-timer.C:
		return nil, c.fail(fmt.Sprintf("printed no ready line within %v", readyTimeout))
	case <-ctx.Done():
		return nil, c.fail("interrupted: " + ctx.Err().Error())
	}
}

// fail stops the child and returns an error with why and its last logs.
func (c *serverChild) fail(why string) error {
	stopErr := c.Stop()
	err := fmt.Errorf("server child %s %s%s", c.spec, why, c.logs.quoted())
	if stopErr != nil {
		return errors.Join(err, stopErr)
	}
	return err
}

// Stop closes the child's stdin, which makes it shut down, and waits for it
// to exit, killing it after 10 s.
func (c *serverChild) Stop() error {
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("server child %s did not stop within 10s: killed%s", c.spec, c.logs.quoted())
	}
	if c.waitErr != nil {
		return fmt.Errorf("server child %s: %w%s", c.spec, c.waitErr, c.logs.quoted())
	}
	return nil
}

// Alive reports an error if the child has exited.
func (c *serverChild) Alive() error {
	select {
	case <-c.exited:
		return fmt.Errorf("server child %s exited (%v)%s", c.spec, c.waitErr, c.logs.quoted())
	default:
		return nil
	}
}

// runCompareChild runs the compare child for d on hash and returns its
// result.
func runCompareChild(ctx context.Context, exe string, hash string, d time.Duration) (compareResult, string, error) {
	spec := childSpec{
		exe:  exe,
		args: []string{"-mode", modeCompare, "-duration", d.String()},
		env:  []string{hashEnv + "=" + hash},
	}
	cmd := spec.command(ctx)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return compareResult{}, "", fmt.Errorf("compare child %s: %w: %s", spec, err, strings.TrimSpace(stderr.String()))
	}
	var res compareResult
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		return compareResult{}, "", fmt.Errorf("compare child %s: bad output %q: %w", spec, out, err)
	}
	return res, hashEnv + "=<hash> " + spec.String(), nil
}

// firstLineWriter sends the first line written to it (without its
// newline) on lines, once, and discards everything after it.
type firstLineWriter struct {
	buf   []byte
	sent  bool
	lines chan<- []byte
}

// Write implements io.Writer.
func (w *firstLineWriter) Write(p []byte) (int, error) {
	if w.sent {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
		w.sent = true
		w.lines <- w.buf[:i]
		w.buf = nil
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it, and copies everything
// to also if not nil. It is safe for concurrent use.
type tailBuffer struct {
	mu   sync.Mutex
	buf  []byte
	max  int
	also io.Writer
}

// Write implements io.Writer.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	if t.also != nil {
		_, _ = t.also.Write(p)
	}
	return len(p), nil
}

// String returns what is kept.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// quoted returns the kept logs as "; its log ends with:\n...", or "" if
// there are none.
func (t *tailBuffer) quoted() string {
	s := strings.TrimSpace(t.String())
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "; its log ends with:\n" + strings.Join(lines, "\n")
}

// shellJoin quotes argv for a POSIX shell.
func shellJoin(argv []string) string {
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

// shellQuote quotes s for a POSIX shell if it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,%+@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
