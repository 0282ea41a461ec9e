package fiberauth_test

import (
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/authadmin/authadmin/transport/contracttest"
	"github.com/authadmin/authadmin/transport/fiberauth"
	"github.com/authadmin/authadmin/transport/fiberauth/fiberauthtest"
)

// TestContract runs the HTTP contract suite against the Fiber transport.
func TestContract(t *testing.T) {
	contracttest.Run(t, "fiber", fiberauthtest.Start)
}

// newApp returns a Fiber app configured as this package recommends.
func newApp() *fiber.App {
	return fiber.New(fiberauth.AppConfig(fiber.Config{DisableStartupMessage: true}))
}
