package usecase

import "context"

type clientKey struct{}

// WithClient returns a copy of ctx that carries the client a request comes
// from (see ports.LoginAttempt.Client; "" for a client whose address is
// unknown): the use cases that check a password (ChangePassword, and Login
// when LoginRequest.Client is empty) throttle by it and name it in the
// audit log, and Register is throttled only in a context marked so (a
// request from the network, not the application's own call). The HTTP
// transports set it on every request.
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// clientFrom returns the client ctx carries, or "".
func clientFrom(ctx context.Context) string {
	c, _ := clientOf(ctx)
	return c
}

// clientOf returns the client ctx carries and whether it carries one at
// all: a request from the network (WithClient, even with "" for a peer
// whose address is unknown) rather than a call of the application's own.
func clientOf(ctx context.Context) (client string, ok bool) {
	client, ok = ctx.Value(clientKey{}).(string)
	return client, ok
}
