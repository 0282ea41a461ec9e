package httpauth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/transport/httpauth"
)

func TestNew(t *testing.T) {
	svc := authtest.New().Service
	tests := []struct {
		name    string
		cfg     httpauth.Config
		wantErr bool
	}{
		{"defaults", httpauth.Config{Service: svc}, false},
		{"custom prefix", httpauth.Config{Service: svc, Prefix: "/users"}, false},
		{"nil service", httpauth.Config{}, true},
		{"prefix without slash", httpauth.Config{Service: svc, Prefix: "auth"}, true},
		{"prefix with trailing slash", httpauth.Config{Service: svc, Prefix: "/auth/"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := httpauth.New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New: error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "httpauth: ") {
				t.Errorf("New: error %q does not start with the package's name", err)
			}
			if err == nil && a == nil {
				t.Fatal("New returned nil Auth and nil error")
			}
			if _, err := httpauth.Setup(http.NewServeMux(), tt.cfg); (err != nil) != tt.wantErr {
				t.Fatalf("Setup: error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

// TestSetupMountsUnderPrefix checks that Setup mounts the routes under
// the configured prefix and nowhere else.
func TestSetupMountsUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	if _, err := httpauth.Setup(mux, httpauth.Config{Service: authtest.New().Service, Prefix: "/users"}); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/users/me": http.StatusUnauthorized, "/auth/me": http.StatusNotFound} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: status %d, want %d", path, rec.Code, want)
		}
	}
}
