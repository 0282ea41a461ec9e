package bunstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/usecase"
)

// Open a store from the database URL in the environment, SQLite users.db by
// default, and build the use cases on it.
func Example() {
	ctx := context.Background()
	dbURL := os.Getenv("AUTH_DB_URL") // e.g. postgres://app:secret@db:5432/app
	if dbURL == "" {
		dbURL = "sqlite://:memory:" // bunstore.DefaultURL in a real program
	}
	store, err := bunstore.Open(ctx, dbURL)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	hasher, err := bcrypthash.New(bcrypthash.DefaultCost)
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := jwtcodec.New([]byte(os.Getenv("AUTH_SECRET_KEY")))
	if err != nil {
		log.Fatal(err)
	}
	svc, err := usecase.New(usecase.Config{Users: store, Hasher: hasher, Tokens: tokens})
	if err != nil {
		log.Fatal(err)
	}
	_ = svc // mount it with a transport
}

// Use a bun database the application already has; the store adds its table
// to it. Give the SQLite DSN a busy timeout (Open does this by itself).
func ExampleNew() {
	ctx := context.Background()
	sqldb, err := sql.Open("sqlite", "file:/example?vfs=memdb&_pragma=busy_timeout(10000)")
	if err != nil {
		log.Fatal(err)
	}
	db := bun.NewDB(sqldb, sqlitedialect.New())
	defer db.Close()

	store, err := bunstore.New(ctx, db, bunstore.WithTable("auth_users"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(store.Table())
	// Output: auth_users
}
