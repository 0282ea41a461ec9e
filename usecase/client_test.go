package usecase_test

import (
	"testing"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

// The built-in default admin password logs in only with a context that
// carries a local Client: a context without a client is remote.
func TestLoginDefaultAdminNeedsLocalClient(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.EnsureAdmin(t.Context()); err != nil {
		t.Fatal(err)
	}
	req := usecase.LoginRequest{Email: "admin@admin.com", Password: "changeme"}
	for _, tt := range []struct {
		name   string
		client *usecase.Client // nil: no client in the context
		want   error
	}{
		{"no client in the context", nil, domain.ErrDefaultPasswordRemote},
		{"remote address", &usecase.Client{Address: "198.51.100.7"}, domain.ErrDefaultPasswordRemote},
		{"unknown address, not local", &usecase.Client{}, domain.ErrDefaultPasswordRemote},
		{"loopback, local", &usecase.Client{Address: "127.0.0.1", Local: true}, nil},
		{"unknown address, local", &usecase.Client{Local: true}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.client != nil {
				ctx = usecase.WithClient(ctx, *tt.client)
			}
			_, err := e.svc.Login(ctx, req)
			wantErr(t, "Login", err, tt.want)
		})
	}
}

// Login names the context's client address in the audit log.
func TestLoginAuditsClientAddress(t *testing.T) {
	e := newEnv(t)
	e.approvedUser(t, e.admin(t), "ann@example.com", "password1")
	ctx := usecase.WithClient(t.Context(), usecase.Client{Address: "203.0.113.5"})
	if _, err := e.svc.Login(ctx, usecase.LoginRequest{Email: "ann@example.com", Password: "password1"}); err != nil {
		t.Fatal(err)
	}
	if !e.logsContain("event=login_succeeded email=ann@example.com client=203.0.113.5") {
		t.Fatalf("no login_succeeded event naming the client:\n%s", e.logs)
	}
}
