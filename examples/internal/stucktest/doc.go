// Package stucktest checks what the example servers' stack does when a
// PostgreSQL connection stops answering while the socket stays open (a
// stuck database, or a proxy holding a dead connection): the request on
// that connection answers 503 with Retry-After once the store's deadline
// passes, and every other request is served normally meanwhile, on the
// net/http, Echo and Fiber transports. A proxy between the store and the
// server (internal/faultproxy) black-holes the one connection that
// carries a chosen email.
//
// It needs AUTH_TEST_POSTGRES_URL, like bunstore's tests (CI sets it):
//
//	AUTH_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go test ./examples/internal/stucktest
package stucktest
