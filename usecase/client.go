package usecase

import "context"

// Client is where a request comes from, as a transport saw it. WithClient
// hands it to the use cases.
type Client struct {
	// Address identifies the client for throttling and the audit log: an
	// IP address, or an IPv6 /64 prefix, as ports.LoginAttempt.Client.
	// "" means the address is unknown; only the account (for a login) or
	// the total bound (for a registration) then throttles it.
	Address string
	// Local marks a request from the server's own machine (the HTTP
	// transports set it for a loopback peer that relays no other client).
	// An administrator who still has the built-in default password may log
	// in only from there, unless Config.AllowRemoteDefaultAdmin is set.
	// The zero value is remote, so a caller that does not know cannot
	// open the default password to the network by forgetting it.
	Local bool
}

type clientKey struct{}

// WithClient returns a copy of ctx that carries the client a request comes
// from. The HTTP transports set it on every request. The use cases read it
// this way:
//
//   - Login and ChangePassword throttle password guesses by c.Address and
//     name it in the audit log;
//   - Login accepts the built-in default admin password only when c.Local
//     is set (see Config.AllowRemoteDefaultAdmin);
//   - Register is throttled by Config.Registrations only in a context that
//     carries a client.
//
// A context without a client is the application's own call: Register is
// not throttled, and Login treats it as remote, with an unknown address.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// clientFrom returns the client ctx carries and whether it carries one at
// all: a request from the network (WithClient, even with an empty Address
// for a peer whose address is unknown) rather than a call of the
// application's own.
func clientFrom(ctx context.Context) (c Client, ok bool) {
	c, ok = ctx.Value(clientKey{}).(Client)
	return c, ok
}
