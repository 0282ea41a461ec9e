package usecase

import "context"

type clientKey struct{}

// WithClient returns a copy of ctx that carries the client a request comes
// from (see ports.LoginAttempt.Client): the use cases that check a
// password (ChangePassword, and Login when LoginRequest.Client is empty)
// throttle by it and name it in the audit log. The HTTP transports set it.
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// clientFrom returns the client ctx carries, or "".
func clientFrom(ctx context.Context) string {
	c, _ := ctx.Value(clientKey{}).(string)
	return c
}
