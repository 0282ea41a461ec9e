package usecase_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/adapters/memstore"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

// newExampleService wires a Service the way an application does, with a
// low bcrypt cost so the example runs fast (use the default 12 in
// production) and a fixed 32-byte key (load yours from configuration).
func newExampleService(hook usecase.ClaimsFunc) *usecase.Service {
	quiet := slog.New(slog.DiscardHandler)
	hasher, err := bcrypthash.New(bcrypthash.MinCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(quiet))
	if err != nil {
		log.Fatal(err)
	}
	// In real code the key comes from the environment (openssl rand -base64 32).
	tokens, err := jwtcodec.New([]byte("KE4LKBdqsP5tJjCY93RO77fnKf05ndBeFYbreOOB"))
	if err != nil {
		log.Fatal(err)
	}
	svc, err := usecase.New(usecase.Config{
		Users:      memstore.New(),
		Hasher:     hasher,
		Tokens:     tokens,
		ClaimsHook: hook,
		Logger:     quiet,
	})
	if err != nil {
		log.Fatal(err)
	}
	return svc
}

// The original package's six-step workflow, driven through the use cases.
func Example() {
	ctx := context.Background()
	svc := newExampleService(nil)

	// 1. The default admin is seeded on first start and logs in; it must
	//    replace the built-in password before using admin operations.
	if _, err := svc.EnsureAdmin(ctx); err != nil {
		log.Fatal(err)
	}
	// The built-in admin password logs in only from the server's own
	// machine (Client.Local); here the application logs its admin in itself.
	local := usecase.WithClient(ctx, usecase.Client{Local: true})
	tok, _ := svc.Login(local, usecase.LoginRequest{Email: "admin@admin.com", Password: "changeme"})
	admin, _ := svc.Authenticate(ctx, tok.AccessToken) // what a transport does per request
	_ = svc.ChangePassword(ctx, admin, "changeme", "a-better-admin-password")
	tok, _ = svc.Login(ctx, usecase.LoginRequest{Email: "admin@admin.com", Password: "a-better-admin-password"})
	admin, _ = svc.Authenticate(ctx, tok.AccessToken)

	// 2. A user registers and waits for approval.
	ann, _ := svc.Register(ctx, "Ann@Example.com", "correct horse")
	_, err := svc.Login(ctx, usecase.LoginRequest{Email: "ann@example.com", Password: "correct horse"})
	fmt.Println(ann.Email, ann.Status, "->", err)

	// 3-4. The admin lists pending accounts and approves Ann.
	pending, _ := svc.ListPending(ctx, admin, usecase.DefaultPageLimit, 0)
	fmt.Println("pending:", len(pending))
	ann, _ = svc.Approve(ctx, admin, "ann@example.com")
	fmt.Println(ann.Email, ann.Status)

	// 5. Ann logs in; a protected route authenticates her token.
	tok, _ = svc.Login(ctx, usecase.LoginRequest{Email: "ann@example.com", Password: "correct horse"})
	who, err := svc.Authenticate(ctx, tok.AccessToken)
	fmt.Println("authenticated:", who.Email(), err)

	// 6. Ann changes her password; the token from before stops working.
	_ = svc.ChangePassword(ctx, who, "correct horse", "battery staple")
	_, err = svc.Authenticate(ctx, tok.AccessToken)
	fmt.Println("old token:", err != nil)
	// Output:
	// ann@example.com pending -> domain: account awaits approval
	// pending: 1
	// ann@example.com approved
	// authenticated: ann@example.com <nil>
	// old token: true
}

// Tenant claims, both ways the original package offers: a hook that runs on
// every login (so HTTP logins carry them) and claims passed to Login.
func ExampleService_Login_extraClaims() {
	ctx := context.Background()
	svc := newExampleService(func(_ context.Context, u domain.User) (map[string]any, error) {
		return map[string]any{"company_id": int64(9007199254740993)}, nil // e.g. looked up by u.Email
	})
	_, _ = svc.EnsureAdmin(ctx)

	// The built-in password logs in only on the server's machine.
	local := usecase.WithClient(ctx, usecase.Client{Local: true})
	tok, err := svc.Login(local, usecase.LoginRequest{
		Email:       "admin@admin.com",
		Password:    "changeme",
		ExtraClaims: map[string]any{"role": "manager"},
	})
	if err != nil {
		log.Fatal(err)
	}
	who, _ := svc.Authenticate(ctx, tok.AccessToken)
	claims := who.Claims()
	companyID, _ := claims.Int64Claim("company_id")
	role, _ := claims.StringClaim("role")
	fmt.Println(claims.Subject, companyID, role)

	_, err = svc.Login(local, usecase.LoginRequest{
		Email: "admin@admin.com", Password: "changeme",
		ExtraClaims: map[string]any{"is_admin": true},
	})
	fmt.Println(err)
	// Output:
	// admin@admin.com 9007199254740993 manager
	// usecase: login: domain: reserved claim "is_admin": extra claims cannot override it
}
