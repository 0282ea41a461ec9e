// Package floodtest is the load test of the hardening against floods: it
// runs each example server as a real program (two cores, default settings
// but for a lower bcrypt cost) and, while one address floods POST
// /auth/register and another floods right-password logins, each with 300
// concurrent requests, a third address logs in once a second. It checks
// that at least 95% of those logins succeed, that their p99 latency stays
// under 5 times the idle login time, and that the flood creates no more
// pending accounts than the registration limit documents.
//
// The test takes about 30 seconds per server, so it is built only with the
// loadtest tag and without the race detector; CI runs it on its own:
//
//	go test -tags loadtest -count=1 -v ./examples/internal/floodtest
//
// The three addresses are 127.0.0.2, 127.0.0.4 and 127.0.0.3 (Linux routes
// all of 127.0.0.0/8 to the loopback interface), so the server sees three
// clients without any proxy header.
package floodtest
