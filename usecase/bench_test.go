package usecase_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/usecase"
)

// BenchmarkAuthenticate measures what RequireLogin pays per request, in the
// Service: the default mode (verified-token cache and user cache, so with the
// user-status check and revocation on), each cache turned off, and the
// stateless mode.
func BenchmarkAuthenticate(b *testing.B) {
	modes := []struct {
		name string
		edit func(*usecase.Config)
	}{
		{"default", func(*usecase.Config) {}},
		{"no_token_cache", func(c *usecase.Config) { c.TokenCacheSize = -1 }},
		{"no_caches", func(c *usecase.Config) { c.TokenCacheSize, c.UserCacheTTL = -1, -1 }},
		{"stateless_no_token_cache", func(c *usecase.Config) { c.TokenCacheSize, c.StatelessTokens = -1, true }},
	}
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			e := newEnv(b, m.edit)
			admin := e.admin(b)
			tok := e.approvedUser(b, admin, "ann@example.com", "password1")
			ctx := b.Context()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.svc.Authenticate(ctx, tok.AccessToken); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("default/parallel", func(b *testing.B) {
		e := newEnv(b)
		tok := e.approvedUser(b, e.admin(b), "ann@example.com", "password1")
		ctx := b.Context()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.svc.Authenticate(ctx, tok.AccessToken); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// generousPolicy lets any number of guesses through (its counters are
// still kept, at the same cost): a login counts as a failure while its
// password is being compared, so more than 5 parallel logins of one
// account from one client would otherwise be throttled.
func generousPolicy() usecase.ThrottlePolicy {
	free := usecase.Backoff{Free: 1 << 30, Base: time.Second}
	return usecase.ThrottlePolicy{Pair: free, Account: free, Client: free}
}

// BenchmarkLogin measures logins with the right password, in parallel on
// every P (run it with -cpu to vary them), beside bare bcrypt comparisons of
// the same hash at the same cost: the ratio of the two is what login adds to
// the hash. At the default cost (12) the hash is everything; at the lowest
// cost (4) the rest shows.
func BenchmarkLogin(b *testing.B) {
	for _, cost := range []int{bcrypt.MinCost, bcrypthash.DefaultCost} {
		b.Run(fmt.Sprintf("cost=%d/login", cost), func(b *testing.B) {
			e := newEnv(b, withCost(b, cost), func(c *usecase.Config) {
				c.HashConcurrency = runtime.GOMAXPROCS(0)
				c.Limiter = usecase.NewMemoryLimiter(generousPolicy())
			})
			e.approvedUser(b, e.admin(b), "ann@example.com", "password1")
			ctx := usecase.WithClient(b.Context(), usecase.Client{Address: "192.0.2.1"})
			req := usecase.LoginRequest{Email: "ann@example.com", Password: "password1"}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := e.svc.Login(ctx, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run(fmt.Sprintf("cost=%d/bare_compare", cost), func(b *testing.B) {
			hash, err := bcrypt.GenerateFromPassword([]byte("password1"), cost)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := bcrypt.CompareHashAndPassword(hash, []byte("password1")); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
