package httpapi

import "context"

// BearerTokenForTest exposes bearerToken.
var BearerTokenForTest = bearerToken

// FailForTest exposes the error mapping.
func (a *API) FailForTest(err error) Response { return a.fail(context.Background(), err) }
