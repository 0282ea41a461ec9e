package httpapi

import (
	"log/slog"

	"github.com/authadmin/authadmin/usecase"
)

// Defaults for Config's zero values.
const (
	// DefaultPrefix is the path under which the auth routes are mounted.
	DefaultPrefix = "/auth"
	// DefaultMaxBodyBytes is the largest request body accepted (64 KiB);
	// a larger one is refused with 413.
	DefaultMaxBodyBytes = 64 << 10
)

// Config configures the HTTP layer shared by the transports.
type Config struct {
	// Service is the use-case layer the routes call. Required.
	Service *usecase.Service
	// Prefix is the path prefix of the auth routes (default DefaultPrefix).
	// It starts with "/" and does not end with one; "" means DefaultPrefix.
	Prefix string
	// MaxBodyBytes caps request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// Logger receives the causes of 500 responses (default slog.Default()).
	Logger *slog.Logger
}
