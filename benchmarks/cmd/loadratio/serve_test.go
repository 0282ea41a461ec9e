package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
)

// childEnv makes the test binary run as loadratio itself (see TestMain),
// so the tests can start it as a server or compare child.
const childEnv = "LOADRATIO_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// quietLogger discards the servers' logs.
func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startTestServer starts fw's server in process at the minimum bcrypt
// cost and stops it when the test ends.
func startTestServer(t *testing.T, fw string) readyInfo {
	t.Helper()
	srv, err := startServer(t.Context(), fw, serviceSettings{bcryptCost: bcrypthash.MinCost}, quietLogger())
	if err != nil {
		t.Fatalf("startServer(%s): %v", fw, err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(5 * time.Second); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return srv.info
}

// TestServersAnswer checks every framework's three routes, in process:
// bare 200; authadmin and peer 200 with the token, 401 without it or
// with a token signed by another key; and the login route.
func TestServersAnswer(t *testing.T) {
	for _, fw := range allFrameworks() {
		t.Run(fw, func(t *testing.T) {
			info := startTestServer(t, fw)
			client := newClient(4)
			defer client.CloseIdleConnections()
			if err := checkRoutes(t.Context(), client, info); err != nil {
				t.Fatal(err)
			}
			if err := checkLogin(t.Context(), client, info); err != nil {
				t.Fatal(err)
			}
			// checkRoutes itself must catch a route that does not
			// authenticate: point "peer" at the bare route.
			broken := info
			broken.Peer = info.Bare
			if err := checkRoutes(t.Context(), client, broken); err == nil || !strings.Contains(err.Error(), "peer without a token: status 200, want 401") {
				t.Errorf("checkRoutes with an unprotected peer route = %v, want a 200-instead-of-401 failure", err)
			}
		})
	}
}

// TestServerChild starts the serve child as the throughput mode does (but
// unpinned): ready line, routes, and a clean stop when stdin closes.
func TestServerChild(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, fw := range allFrameworks() {
		t.Run(fw, func(t *testing.T) {
			spec := childSpec{
				exe:        exe,
				args:       []string{"-serve", fw, "-bcrypt-cost", "4"},
				gomaxprocs: 1,
				env:        []string{childEnv + "=1"},
			}
			child, err := startServerChild(t.Context(), spec)
			if err != nil {
				t.Fatal(err)
			}
			stopped := false
			defer func() {
				if !stopped {
					_ = child.Stop()
				}
			}()
			if child.info.Framework != fw || child.info.GOMAXPROCS != 1 || child.info.BcryptCost != 4 {
				t.Errorf("ready line = %+v, want framework %s, GOMAXPROCS 1, cost 4", child.info, fw)
			}
			if child.info.PID == os.Getpid() || child.info.PID <= 0 {
				t.Errorf("ready line pid = %d", child.info.PID)
			}
			client := newClient(4)
			defer client.CloseIdleConnections()
			if err := checkRoutes(t.Context(), client, child.info); err != nil {
				t.Fatal(err)
			}
			if _, err := procCPU(child.info.PID); err != nil {
				t.Errorf("procCPU of the child: %v", err)
			}
			stopped = true
			if err := child.Stop(); err != nil {
				t.Errorf("Stop: %v", err)
			}
		})
	}
}

// TestCompareChild runs the bare bcrypt child briefly on a low-cost hash.
func TestCompareChild(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	info := startTestServer(t, fwNetHTTP)
	t.Setenv(childEnv, "1") // inherited by the child
	res, cmd, err := runCompareChild(t.Context(), exe, info.Hash, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Compares == 0 || res.Rate <= 0 || res.Goroutines < 1 || res.Seconds != 1 {
		t.Errorf("compare result = %+v, want some compares over 1s", res)
	}
	if strings.Contains(cmd, info.Hash) {
		t.Errorf("the reported command %q shows the hash", cmd)
	}
	if _, _, err := runCompareChild(t.Context(), exe, "$2a$04$not-a-hash", 100*time.Millisecond); err == nil {
		t.Error("runCompareChild with a bad hash succeeded")
	}
}

// TestLoads drives the login load, the open-loop probe and the flood
// briefly against an in-process server.
func TestLoads(t *testing.T) {
	info := startTestServer(t, fwNetHTTP)
	client := newClient(8)
	defer client.CloseIdleConnections()

	l := loginLoad(t.Context(), client, info.Login, 2, time.Second)
	if l.OK == 0 || l.OKRate <= 0 || l.Overloaded != 0 || l.Errors != 0 || l.Latency.Count != int(l.OK) || l.Seconds != 1 {
		t.Errorf("loginLoad = %+v, want 200s over 1s", l)
	}
	checkOnlyOKOr503(t, "loginLoad", l)

	p := openLoop(t.Context(), client, info.Authadmin, info.Token, 200, 250*time.Millisecond)
	if p.Sent != 50 || p.OK != 50 || p.Failed != 0 || p.Errors != 0 || p.Latency.Count != 50 {
		t.Errorf("openLoop = %+v, want 50 requests answered 200", p)
	}
	if p.Latency.P50 <= 0 || p.Latency.P99 < p.Latency.P50 || p.Latency.Max < p.Latency.P99 {
		t.Errorf("openLoop latencies = %+v, want 0 < p50 <= p99 <= max", p.Latency)
	}
	bad := openLoop(t.Context(), client, info.Authadmin, "", 100, 100*time.Millisecond)
	if bad.Sent != 10 || bad.Failed != bad.Sent || bad.OK != 0 || !strings.Contains(bad.FirstError, "401") {
		t.Errorf("openLoop without a token = %+v, want every request failed with 401", bad)
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	f := floodLogins(ctx, client, info.Login, 4)
	if f.OK == 0 || f.Errors != 0 {
		t.Errorf("floodLogins = %+v, want 200s", f)
	}
	checkOnlyOKOr503(t, "floodLogins", f)
}

// checkOnlyOKOr503 fails the test if c counted statuses other than 200 and
// 503: right-password logins are never throttled (429), however many are
// in flight (the server's limiter lets every guess through, and the
// library's no longer makes a counter under its free failures wait).
func checkOnlyOKOr503(t *testing.T, what string, c loginCounts) {
	t.Helper()
	for status, n := range c.Other {
		t.Errorf("%s: %d answers with status %s", what, n, status)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		wantRounds   int
		wantDuration time.Duration
		wantCost     int
		wantErr      string
	}{
		{name: "throughput defaults", args: nil, wantRounds: 5, wantDuration: 5 * time.Second, wantCost: bcrypthash.MinCost},
		{name: "login defaults", args: []string{"-mode", "login"}, wantRounds: 3, wantDuration: 30 * time.Second, wantCost: bcrypthash.DefaultCost},
		{name: "flood defaults", args: []string{"-mode", "flood"}, wantRounds: 5, wantDuration: 10 * time.Second, wantCost: bcrypthash.DefaultCost},
		{name: "explicit", args: []string{"-rounds", "3", "-duration", "3s"}, wantRounds: 3, wantDuration: 3 * time.Second, wantCost: bcrypthash.MinCost},
		{name: "unknown mode", args: []string{"-mode", "fast"}, wantErr: "unknown mode"},
		{name: "unknown framework", args: []string{"-frameworks", "nethttp,gin"}, wantErr: `unknown framework "gin"`},
		{name: "framework twice", args: []string{"-frameworks", "echo,echo"}, wantErr: "given twice"},
		{name: "fractional wrk duration", args: []string{"-duration", "1500ms"}, wantErr: "whole seconds"},
		{name: "zero rounds", args: []string{"-rounds", "-1"}, wantErr: "-rounds"},
		{name: "bad serve", args: []string{"-serve", "gin"}, wantErr: "-serve"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseFlags: %v", err)
			}
			if o.rounds != tt.wantRounds || o.duration != tt.wantDuration || o.bcryptCost != tt.wantCost {
				t.Errorf("rounds %d, duration %v, cost %d; want %d, %v, %d", o.rounds, o.duration, o.bcryptCost, tt.wantRounds, tt.wantDuration, tt.wantCost)
			}
		})
	}
}

// TestTailBuffer checks that the child log buffer keeps the end.
func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 8}
	for _, s := range []string{"abc", "defgh", "ijk"} {
		if _, err := tb.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got := tb.String(); got != "defghijk" {
		t.Errorf("tail = %q, want %q", got, "defghijk")
	}
}

// TestWrkVersionMissing: without wrk, the throughput mode fails at once
// with an error (the tests never run wrk).
func TestWrkVersionMissing(t *testing.T) {
	if _, err := wrkVersion(t.Context(), "/nonexistent/wrk"); err == nil {
		t.Error("wrkVersion of a missing wrk succeeded")
	}
}
