package httpauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/httpauth"
)

type otherKey struct{}

// The context RequireLogin makes carries the principal, passes other
// values and cancellation through from the request's context, and prints
// without the claims.
func TestRequireLoginContext(t *testing.T) {
	const subject = "ann@example.com"
	kit := authtest.New()
	kit.User(subject)
	auth, err := httpauth.New(kit.HTTPConfig())
	if err != nil {
		t.Fatal(err)
	}
	parent, cancel := context.WithCancelCause(context.WithValue(t.Context(), otherKey{}, "other"))
	var seen context.Context
	h := auth.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Context() }))
	req := httptest.NewRequestWithContext(parent, http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+kit.Token(subject, nil))
	h.ServeHTTP(httptest.NewRecorder(), req)
	if seen == nil {
		t.Fatal("the handler did not run")
	}
	if claims, ok := httpauth.ClaimsFrom(seen); !ok || claims.Subject != subject {
		t.Fatalf("ClaimsFrom = %+v, %v", claims, ok)
	}
	if p, ok := httpauth.PrincipalFrom(context.WithoutCancel(context.WithValue(seen, otherKey{}, "shadow"))); !ok || p.Email() != subject {
		t.Fatalf("PrincipalFrom through derived contexts = %v, %v", p.Email(), ok)
	}
	if v := seen.Value(otherKey{}); v != "other" {
		t.Fatalf("a value of the request's context: %v", v)
	}
	if s := fmt.Sprint(seen); strings.Contains(s, subject) || !strings.HasSuffix(s, ".WithPrincipal") {
		t.Fatalf("the context prints as %q", s)
	}
	child, stop := context.WithCancel(seen)
	defer stop()
	cause := fmt.Errorf("client went away")
	cancel(cause)
	<-child.Done()
	if context.Cause(child) != cause || seen.Err() != context.Canceled {
		t.Fatalf("cancellation: cause %v, err %v", context.Cause(child), seen.Err())
	}
	if _, ok := httpauth.PrincipalFrom(parent); ok {
		t.Fatal("a principal in a context RequireLogin did not make")
	}
}
