package contracttest

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

// BenchFixture is what a transport's RequireLogin benchmark needs: a
// Service in its default mode (the user-status check and revocation on)
// over memstore, an approved user, and a token Login issued to that user.
type BenchFixture struct {
	// Service is the Service the transport under test must use.
	Service *usecase.Service
	// Subject is the user's email.
	Subject string
	// Token is a valid access token of Subject's, for the Authorization
	// header ("Bearer " + Token).
	Token string
}

// NewBenchFixture builds a BenchFixture. Passwords are hashed at the lowest
// bcrypt cost: the benchmarks measure what happens after login.
func NewBenchFixture(tb testing.TB) BenchFixture {
	tb.Helper()
	discard := slog.New(slog.DiscardHandler)
	hasher, err := bcrypthash.New(bcrypthash.MinCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(discard))
	if err != nil {
		tb.Fatal(err)
	}
	codec, err := jwtcodec.New(jwtcodec.Config{Secret: []byte("XFxDcjyC6LL4bbjnPb9odKuiCC1JMTimm6GLrPsv"), Logger: discard})
	if err != nil {
		tb.Fatal(err)
	}
	store := memstore.New()
	svc, err := usecase.New(usecase.Config{Users: store, Hasher: hasher, Tokens: codec, Logger: discard})
	if err != nil {
		tb.Fatal(err)
	}
	const email, password = "bench@example.com", "bench-password-1"
	ctx := context.Background()
	hash, err := hasher.Hash(ctx, password)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := store.Create(ctx, domain.User{Email: email, PasswordHash: hash, Status: domain.StatusApproved, CreatedAt: now, UpdatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	tok, err := svc.Login(ctx, usecase.LoginRequest{Email: email, Password: password})
	if err != nil {
		tb.Fatal(err)
	}
	return BenchFixture{Service: svc, Subject: email, Token: tok.AccessToken}
}

// DiscardResponseWriter is an http.ResponseWriter that keeps only the
// status, for benchmarks that call a router directly: reused across
// iterations (reset Status), it measures the handlers, not a recorder.
type DiscardResponseWriter struct {
	// Status is the status WriteHeader was given, or 0.
	Status int
	header http.Header
}

// Header implements http.ResponseWriter.
func (w *DiscardResponseWriter) Header() http.Header {
	if w.header == nil {
		w.header = http.Header{}
	}
	return w.header
}

// Write implements http.ResponseWriter; it discards b.
func (w *DiscardResponseWriter) Write(b []byte) (int, error) { return len(b), nil }

// WriteHeader implements http.ResponseWriter.
func (w *DiscardResponseWriter) WriteHeader(status int) { w.Status = status }
