package contracttest

import (
	"net/http"
	"testing"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/usecase"
)

// BenchFixture is what a transport's RequireLogin benchmark needs: a
// Service in its default mode (the user-status check and revocation on)
// over memstore, an approved user, and a token for that user as Login
// issues it.
type BenchFixture struct {
	// Service is the Service the transport under test must use.
	Service *usecase.Service
	// Subject is the user's email.
	Subject string
	// Token is a valid access token of Subject's, for the Authorization
	// header ("Bearer " + Token).
	Token string
}

// NewBenchFixture builds a BenchFixture on the test kit (authtest): its
// fast hasher and a token signed by the Service's codec, as Login issues
// it. The benchmarks measure what happens after login.
func NewBenchFixture(tb testing.TB) BenchFixture {
	tb.Helper()
	const email = "bench@example.com"
	kit := authtest.New()
	kit.User(email)
	return BenchFixture{Service: kit.Service, Subject: email, Token: kit.Token(email, nil)}
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
