package httpapi

import "context"

// BearerTokenForTest exposes bearerToken.
var BearerTokenForTest = bearerToken

// FailForTest exposes the error mapping.
func (a *API) FailForTest(err error) Response { return a.fail(context.Background(), err) }

// ClientForTest returns the client key the API gives req, as login passes
// it to the limiter (see Config.TrustedProxies).
func (a *API) ClientForTest(req Request) string { return a.clients.client(req) }

// RemoteForTest reports whether the API takes req to come from another
// machine than the server's (usecase.Client.Local is its opposite).
func (a *API) RemoteForTest(req Request) bool { return a.clients.remote(req) }
