//go:build unix

package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/examples/internal/walktest"
)

// TestProgram builds this example and runs it as a program on a fresh
// SQLite file: the admin seeded on the first start logs in (from
// loopback), changes the default password and approves a user who
// registered; the user's token opens GET /hello, which greets the user;
// SIGTERM stops the program with exit status 0, and the user is on disk.
func TestProgram(t *testing.T) {
	const name = "echominimal"
	tmp := t.TempDir()
	bin := walktest.Build(t, name, ".", tmp)
	dbPath := filepath.Join(tmp, "auth.db")
	srv := walktest.Start(t, name, bin, tmp, map[string]string{
		"ADDR":             "127.0.0.1:0",
		"AUTH_DB_URL":      "sqlite://" + dbPath,
		"AUTH_BCRYPT_COST": "4",
	})
	c := walktest.NewClient(t, name, srv.URL)

	c.Expect("GET /hello without a token", c.Do("GET", "/hello", "", nil), http.StatusUnauthorized, "")
	c.Expect("GET /auth/docs", c.Do("GET", "/auth/docs", "", nil), http.StatusOK, "swagger-ui")
	admin := c.AdminSetup()
	c.RegisterAndApprove(admin)
	user := c.Login("user login", walktest.UserEmail, walktest.UserPassword, http.StatusOK)
	c.Expect("GET /hello as the user", c.Do("GET", "/hello", user, nil), http.StatusOK, "hello "+walktest.UserEmail)

	srv.Stop(t)
	out := srv.Output()
	for _, want := range []string{"no secret key configured", "shutting down", "stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lacks %q:\n%s", want, out)
		}
	}
	if u := walktest.StoredUser(t, name, dbPath, walktest.UserEmail); u.Status != domain.StatusApproved {
		t.Errorf("%s on disk is %s, want approved", walktest.UserEmail, u.Status)
	}
}

// TestBadSetting: a bad variable stops the program at start with exit
// status 1 and an error naming it.
func TestBadSetting(t *testing.T) {
	bin := walktest.Build(t, "echominimal", ".", t.TempDir())
	env := map[string]string{"AUTH_EXPIRE_MINUTES": "forever"}
	if out := walktest.FailedStart(t, "echominimal", bin, env); !strings.Contains(out, "AUTH_EXPIRE_MINUTES") {
		t.Errorf("start with %v: the output does not name the variable:\n%s", env, out)
	}
}
