package fiberauth_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/fiberauth"
	"github.com/authadmin/authadmin/transport/httpapi"
)

// BenchmarkRequireLogin serves the same tiny JSON handler bare and behind
// RequireLogin (default mode: user-status check and revocation on) on one
// Fiber app, calling the app's fasthttp handler directly with the same token
// on every request: the difference is what the middleware costs a request.
func BenchmarkRequireLogin(b *testing.B) {
	fx := contracttest.NewBenchFixture(b)
	app := fiber.New(fiberauth.AppConfig(fiber.Config{}))
	auth, err := fiberauth.Setup(app, httpapi.Config{Service: fx.Service})
	if err != nil {
		b.Fatal(err)
	}
	ok := []byte(`{"status":"ok"}`)
	handler := func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(ok)
	}
	app.Get("/bare", handler)
	app.Get("/protected", auth.RequireLogin(), handler)
	serve := app.Handler()
	authorization := "Bearer " + fx.Token
	for _, path := range []string{"/bare", "/protected"} {
		b.Run(path[1:], func(b *testing.B) {
			var ctx fasthttp.RequestCtx
			b.ReportAllocs()
			for b.Loop() {
				ctx.Request.Reset()
				ctx.Response.Reset()
				ctx.Request.Header.SetMethod(fiber.MethodGet)
				ctx.Request.SetRequestURI(path)
				ctx.Request.Header.Set(fiber.HeaderAuthorization, authorization)
				serve(&ctx)
				if status := ctx.Response.StatusCode(); status != fiber.StatusOK {
					b.Fatalf("GET %s: status %d", path, status)
				}
			}
		})
	}
}
