// Package authsetup is authadmin's one-call setup: it builds a ready
// authentication service with the original package's defaults (users in
// the SQLite file users.db, a random signing key with a warning, HS256,
// tokens of 30 minutes, the administrator admin@admin.com / changeme
// seeded on the first start) and runs the server with a graceful stop.
//
// An application has two touch points, as with the original's
// setup_auth(app) and RequireLogin: it builds the service with one call
// and mounts it with one call of its framework's transport (httpauth.Setup,
// echoauth.Setup, fiberauth.Setup), then protects its own routes with
// RequireLogin or RequireAdmin:
//
//	auth, err := authsetup.FromEnv(ctx) // ADDR and the AUTH_* variables
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux := http.NewServeMux()
//	routes, err := httpauth.Setup(mux, auth.HTTPConfig())
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux.Handle("GET /orders", routes.RequireLogin(http.HandlerFunc(orders)))
//	if err := auth.ListenAndServe(ctx, mux); err != nil {
//		log.Fatal(err)
//	}
//
// FromEnv reads the environment (see SettingsFromEnv and the Env
// constants); code that does not want the environment fills Settings and
// calls New. Settings.Users puts the users in a store of the application's
// own instead of bunstore.
//
// ListenAndServe (Serve for a server that is not an http.Server, such as
// Fiber's) listens on Settings.Addr with a cap on the connections, serves
// until the context is done or the process receives SIGINT or SIGTERM,
// gives the requests in flight Settings.ShutdownTimeout to finish, and
// closes the store after the last one.
//
// The module imports bunstore and, through it, the SQLite and PostgreSQL
// drivers; an application that wires the hexagon by hand (see
// examples/customstore) needs only the core module.
package authsetup
