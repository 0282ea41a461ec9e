//go:build unix && !aix && (!solaris || illumos)

// These tests run a child process (this test binary, re-executed) and rely
// on the kernel releasing an flock when the child dies, so they run where
// the store uses flock.

package jsonstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jsonstore"
	"github.com/authadmin/authadmin/domain"
)

// The child's instructions: what to do, and on which file.
const (
	envHelper = "JSONSTORE_TEST_HELPER" // "write" or "hold"
	envPath   = "JSONSTORE_TEST_PATH"
)

// crashUser is the i-th user the writer creates, every field derived from i,
// so the parent can check that each user it reads back is complete.
func crashUser(i int) domain.User {
	created := t0.Add(time.Duration(i) * time.Second)
	return domain.User{
		Email:        fmt.Sprintf("user%06d@example.com", i),
		PasswordHash: fmt.Sprintf("$2a$10$hash-of-user-%06d", i),
		Status:       domain.StatusPending,
		CreatedAt:    created,
		UpdatedAt:    created,
	}
}

// TestMain runs the test binary as the child process of the tests below
// when envHelper is set, and the tests otherwise.
func TestMain(m *testing.M) {
	if mode := os.Getenv(envHelper); mode != "" {
		runHelper(mode)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runHelper is the child process. Mode "write" creates users in a tight
// loop, printing "created N" after each acknowledged Create, and updates an
// earlier user after every other one; mode "hold" opens the store, prints
// "locked" and waits for its stdin to close; mode "crash at STEP" makes the
// store kill the process at that step of its first write.
func runHelper(mode string) {
	ctx := context.Background()
	s, err := jsonstore.Open(os.Getenv(envPath))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	if step, ok := strings.CutPrefix(mode, "crash at "); ok {
		s.Close()
		s, err = jsonstore.Open(os.Getenv(envPath), jsonstore.WithCrashAt(step))
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		err := s.Create(ctx, crashUser(1))
		fmt.Println("error: Create returned", err)
		os.Exit(7)
	}
	if mode == "hold" {
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	n := 0
	for {
		if _, err := s.FindByEmail(ctx, crashUser(n).Email); err != nil {
			break
		}
		n++
	}
	fmt.Println("ready", n)
	for i := n; ; i++ {
		if err := s.Create(ctx, crashUser(i)); err != nil {
			fmt.Println("error:", err)
			os.Exit(4)
		}
		fmt.Println("created", i+1)
		if i%2 == 1 {
			u, err := s.FindByEmail(ctx, crashUser(i/2).Email)
			if err != nil {
				fmt.Println("error:", err)
				os.Exit(5)
			}
			u.TokenVersion++
			u.Status = domain.StatusApproved
			if err := s.Update(ctx, u); err != nil {
				fmt.Println("error:", err)
				os.Exit(6)
			}
		}
	}
}

// child starts this test binary as a helper in mode on path and returns it
// with a reader of its output.
func child(t *testing.T, mode, path string) (*exec.Cmd, *bufio.Scanner, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envHelper+"="+mode, envPath+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewScanner(stdout), stdin
}

// TestCrashDuringWrites kills a writing child process with SIGKILL at random
// moments and checks after each kill that the file opens (so it is not
// torn, and the dead child's lock is gone), that every user in it is
// complete and consistent, that no acknowledged Create is missing, and that
// the count of users never goes backwards.
func TestCrashDuringWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "users.json")
	const rounds = 5
	prev, kills := 0, 0
	for round := range rounds {
		cmd, out, _ := child(t, "write", path)
		if !out.Scan() || !strings.HasPrefix(out.Text(), "ready ") {
			t.Fatalf("round %d: child said %q (%v); want ready", round, out.Text(), out.Err())
		}
		// Read acknowledgements until the kill closes the pipe.
		acked := make(chan int)
		go func() {
			last := -1
			for out.Scan() {
				line := out.Text()
				if n, ok := strings.CutPrefix(line, "created "); ok {
					last, _ = strconv.Atoi(n)
				} else {
					t.Errorf("round %d: child: %s", round, line)
				}
			}
			acked <- last
		}()
		time.Sleep(20*time.Millisecond + rand.N(200*time.Millisecond))
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		last := <-acked
		if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
			t.Errorf("round %d: child exited with %v; want killed", round, err)
		} else {
			kills++
		}

		s, err := jsonstore.Open(path)
		if err != nil {
			t.Fatalf("round %d: Open after SIGKILL: %v", round, err)
		}
		n := 0
		for ; ; n++ {
			got, err := s.FindByEmail(ctx, crashUser(n).Email)
			if errors.Is(err, domain.ErrUserNotFound) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			want := crashUser(n)
			want.Revision = 1
			if got.Revision > 1 {
				want.Revision, want.TokenVersion, want.Status = 2, 1, domain.StatusApproved
			}
			if got != want {
				t.Errorf("round %d: user %d is\n\t%+v\nwant\n\t%+v", round, n, got, want)
			}
		}
		pending, err := s.ListPending(ctx, 1<<30, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range pending {
			if i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(u.Email, "user"), "@example.com")); err != nil || i >= n {
				t.Errorf("round %d: unexpected user %s beyond the %d consecutive ones", round, u.Email, n)
			}
		}
		if n < prev {
			t.Errorf("round %d: %d users after the kill, %d before: the count went backwards", round, n, prev)
		}
		if last > n {
			t.Errorf("round %d: the child acknowledged %d Creates but the file holds %d users", round, last, n)
		}
		t.Logf("round %d: %d users (%d acknowledged by the killed child)", round, n, last)
		prev = n
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if entries, _ := filepath.Glob(filepath.Join(dir, ".users.json.tmp-*")); len(entries) > 0 {
			t.Errorf("round %d: Open left temporary files: %q", round, entries)
		}
	}
	if prev == 0 {
		t.Errorf("the children wrote no user in %d rounds", rounds)
	}
	if kills == 0 {
		t.Error("no child was killed while writing")
	}
}

// TestCrashAtEachStep kills a child process at each step of a write (a
// deterministic complement to TestCrashDuringWrites) and checks that the
// file then holds exactly the old content or, once the rename is done, the
// new, and that the next Open removes the temporary file.
func TestCrashAtEachStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for i, step := range jsonstore.CrashSteps {
		t.Run(strings.ReplaceAll(step, " ", "_"), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "users.json")
			s := open(t, path)
			if err := s.Create(ctx, crashUser(0)); err != nil {
				t.Fatal(err)
			}
			s.Close()
			before := readFile(t, path)

			cmd, out, _ := child(t, "crash at "+step, path)
			for out.Scan() {
				t.Errorf("child: %s", out.Text())
			}
			if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("child exited with %v; want killed", err)
			}
			renamed := i == len(jsonstore.CrashSteps)-1 // crashed after the rename
			after := readFile(t, path)
			if !renamed && string(after) != string(before) {
				t.Errorf("crash before the rename changed the file to:\n%s", after)
			}

			s = open(t, path)
			if u, err := s.FindByEmail(ctx, crashUser(0).Email); err != nil || u.Revision != 1 {
				t.Errorf("the user written before the crash: %+v, %v", u, err)
			}
			_, err := s.FindByEmail(ctx, crashUser(1).Email)
			if renamed && err != nil {
				t.Errorf("crash after the rename: the new user is missing: %v", err)
			}
			if !renamed && !errors.Is(err, domain.ErrUserNotFound) {
				t.Errorf("crash before the rename: FindByEmail(new user) error = %v; want ErrUserNotFound", err)
			}
			if entries, _ := filepath.Glob(filepath.Join(dir, ".users.json.tmp-*")); len(entries) > 0 {
				t.Errorf("Open left temporary files: %q", entries)
			}
		})
	}
}

// TestLockAcrossProcesses has a child process hold the store open, checks
// that Open here is refused with ErrLocked, then kills the child and checks
// that its lock died with it.
func TestLockAcrossProcesses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users.json")
	cmd, out, stdin := child(t, "hold", path)
	if !out.Scan() || out.Text() != "locked" {
		t.Fatalf("child said %q (%v); want locked", out.Text(), out.Err())
	}
	s, err := jsonstore.Open(path)
	if !errors.Is(err, jsonstore.ErrLocked) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open while another process holds the store: error = %v; want ErrLocked", err)
	}
	_ = stdin
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	s, err = jsonstore.Open(path)
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	s.Close()
}

// TestCloseReleasesLockWhileStartingProcesses closes and reopens a store
// while another goroutine keeps starting processes. A child between fork
// and exec holds a copy of every descriptor, the lock file's included, so
// Close must unlock explicitly rather than rely on closing the descriptor,
// or the next Open fails with ErrLocked.
func TestCloseReleasesLockWhileStartingProcesses(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users.json")
	// Any small program will do; true(1) starts fastest.
	prog, args := os.Args[0], []string{"-test.run=^$"}
	if p, err := exec.LookPath("true"); err == nil {
		prog, args = p, nil
	}
	stop := make(chan struct{})
	started := make(chan int)
	go func() {
		n := 0
		defer func() { started <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if exec.Command(prog, args...).Run() == nil {
				n++
			}
		}
	}()
	opens, locked := 0, 0
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); opens++ {
		s, err := jsonstore.Open(path)
		if err != nil {
			if !errors.Is(err, jsonstore.ErrLocked) {
				t.Fatal(err)
			}
			locked++
			continue
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	n := <-started
	if locked > 0 {
		t.Errorf("%d of %d Open-Close cycles failed with ErrLocked while %d processes were started", locked, opens, n)
	}
}
