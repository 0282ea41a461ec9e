package bunstore_test

// The scale benchmarks: the per-request paths (the lookup by email, Login,
// Authenticate) must cost the same with 1k and with 1M users stored, on
// SQLite and on PostgreSQL. This file holds the population they run on (its
// users, how it is seeded, the fixtures cached between benchmarks) and the
// benchmarks themselves; plan_test.go checks the query plans.
//
// By default they run at 1k users only, so that a smoke run of every
// benchmark (CI: -benchtime=1x) takes seconds. AUTHADMIN_BENCH_SCALE asks
// for larger populations:
//
//	AUTHADMIN_BENCH_SCALE=100k   1k and 100k users
//	AUTHADMIN_BENCH_SCALE=1M     1k, 100k and 1M users
//	AUTHADMIN_BENCH_SCALE=10k    1k and 10k (any size with k or M, or a plain number)
//
// Seeding 1M users takes about 15 s on SQLite and 8 s on PostgreSQL (on a
// 2-CPU machine), once per `go test` process: a seeded population (a SQLite
// file in a temporary directory, a table in the run's PostgreSQL schema) is
// kept for every benchmark and every -count round of the process, and
// removed by TestMain at the end. Without AUTH_TEST_POSTGRES_URL the
// postgres legs are skipped with a message saying so.
//
//	cd adapters/bunstore
//	AUTH_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	AUTHADMIN_BENCH_SCALE=1M go test -run='^$' -bench=Scale -benchmem -count=5 .

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/authadmin/authadmin/adapters/bcrypthash"
	"github.com/authadmin/authadmin/adapters/bunstore"
	"github.com/authadmin/authadmin/authtest"
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/ports"
	"github.com/authadmin/authadmin/usecase"
)

// scaleEnv names the variable that selects the largest population of the
// scale benchmarks (see the top of this file).
const scaleEnv = "AUTHADMIN_BENCH_SCALE"

// scaleLadder are the populations the scale benchmarks run at, up to the
// size scaleEnv asks for.
var scaleLadder = []int{1_000, 100_000, 1_000_000}

// scaleSizes returns the populations this run measures: 1k, and the steps of
// scaleLadder up to the size in scaleEnv (that size too if it is not on the
// ladder). A value that is not a size fails the benchmark rather than
// quietly measuring less.
func scaleSizes(tb testing.TB) []int {
	tb.Helper()
	raw := strings.TrimSpace(os.Getenv(scaleEnv))
	if raw == "" {
		return scaleLadder[:1]
	}
	limit, err := parseSize(raw)
	if err != nil || limit < scaleLadder[0] {
		tb.Fatalf("%s=%q: want a population of at least 1k, such as 100k or 1M", scaleEnv, raw)
	}
	var sizes []int
	for _, n := range scaleLadder {
		if n <= limit {
			sizes = append(sizes, n)
		}
	}
	if !slices.Contains(sizes, limit) {
		sizes = append(sizes, limit)
	}
	return sizes
}

// parseSize reads "1000", "100k" or "1M" (k and M in either case).
func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1_000, s[:len(s)-1]
	case strings.HasSuffix(s, "m"), strings.HasSuffix(s, "M"):
		mult, s = 1_000_000, s[:len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 100_000_000/mult {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	return n * mult, nil
}

// TestScaleSizes checks how AUTHADMIN_BENCH_SCALE is read.
func TestScaleSizes(t *testing.T) {
	for _, c := range []struct {
		env  string
		want []int
	}{
		{"", []int{1_000}},
		{"1k", []int{1_000}},
		{"100k", []int{1_000, 100_000}},
		{"1M", []int{1_000, 100_000, 1_000_000}},
		{"1m", []int{1_000, 100_000, 1_000_000}},
		{"10k", []int{1_000, 10_000}},
		{"250000", []int{1_000, 100_000, 250_000}},
	} {
		t.Setenv(scaleEnv, c.env)
		if got := scaleSizes(t); !slices.Equal(got, c.want) {
			t.Errorf("%s=%q: sizes %v; want %v", scaleEnv, c.env, got, c.want)
		}
	}
	for _, bad := range []string{"x", "1G", "-1k", "0", "k", "1.5M", "1000M"} {
		if n, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d; want an error", bad, n)
		}
	}
	for n, want := range map[int]string{1_000: "1k", 100_000: "100k", 1_000_000: "1M", 1_500: "1500", 250_000: "250k"} {
		if got := sizeLabel(n); got != want {
			t.Errorf("sizeLabel(%d) = %q; want %q", n, got, want)
		}
	}
}

// sizeLabel names a population in benchmark names: 1k, 100k, 1M.
func sizeLabel(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n%1_000 == 0:
		return fmt.Sprintf("%dk", n/1_000)
	}
	return strconv.Itoa(n)
}

// The population: user i of every seeded table is scaleUser(i), the same on
// every backend and in every run.

// scalePassword is every seeded user's password.
const scalePassword = "correct horse battery staple"

var (
	firstNames = [...]string{
		"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
		"ivan", "judy", "karl", "laura", "mallory", "niaj", "olivia", "peggy",
		"quentin", "rupert", "sybil", "trent", "ursula", "victor", "walter", "xena",
		"yusuf", "zoe", "amir", "beatriz", "chen", "dmitri", "eun-ji", "fatima",
	}
	lastNames = [...]string{
		"smith", "jones", "garcia", "muller", "rossi", "dubois", "nowak", "silva",
		"kim", "tanaka", "nguyen", "okafor", "hansen", "jensen", "kowalski", "novak",
		"popescu", "horvat", "ivanov", "yilmaz", "cohen", "haddad", "singh", "patel",
		"murphy", "kelly", "walsh", "byrne", "obrien", "lopez", "perez", "sanchez",
	}
	mailDomains = [...]string{
		"example.com", "example.org", "example.net", "mail.example.com",
		"corp.example.org", "students.example.edu", "example.co.uk", "example.de",
	}
)

// mix scatters i over 32 bits (a bijection), so that consecutive users get
// unrelated addresses: the seeded keys land all over the index, in random
// order, as real sign-ups do.
func mix(i int) uint32 {
	x := uint32(i) * 0x9e3779b1
	x ^= x >> 15
	x *= 0x85ebca77
	x ^= x >> 13
	return x
}

// scaleEmail is the (normalised) email of user i. Its number has seven
// digits whatever the population, so that emails, and the tokens that
// carry them, are as long at 1M users as at 1k.
func scaleEmail(i int) string {
	h := mix(i)
	return fmt.Sprintf("%s.%s%07d@%s", firstNames[h%32], lastNames[h/32%32], i, mailDomains[h/1024%8])
}

// unknownEmail is an address no seeded user has (seeded local parts end in
// a digit), spread over the key space as scaleEmail's are.
func unknownEmail(j int) string {
	h := mix(j + 1<<30)
	return fmt.Sprintf("%s.%s%07d.nobody@%s", firstNames[h%32], lastNames[h/32%32], j, mailDomains[h/1024%8])
}

// scaleApproved reports whether user i is approved, so that Login and
// Authenticate accept them.
func scaleApproved(i int) bool { return i%10 != 0 && i%50 != 3 }

// scaleHashes are real bcrypt hashes of scalePassword at MinCost, with
// different salts; the seeded users share them.
var scaleHashes = sync.OnceValues(func() ([]string, error) {
	h, err := bcrypthash.New(bcrypthash.MinCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(quietLog))
	if err != nil {
		return nil, err
	}
	hashes := make([]string, 8)
	for i := range hashes {
		if hashes[i], err = h.Hash(context.Background(), scalePassword); err != nil {
			return nil, err
		}
	}
	return hashes, nil
})

// scaleUser is user i as the store would hold it after a life of sign-up
// and review: one in ten pending, one in fifty rejected (its tokens
// revoked), one in a thousand an administrator, the rest approved.
func scaleUser(i int, hashes []string) domain.User {
	created := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 97 * time.Second)
	u := domain.User{
		Email:        scaleEmail(i),
		PasswordHash: hashes[i%len(hashes)],
		IsAdmin:      i%1000 == 7,
		Status:       domain.StatusApproved,
		CreatedAt:    created,
		UpdatedAt:    created.Add(3*time.Hour + time.Duration(i%997)*time.Second),
		Revision:     2, // created, then reviewed
	}
	switch {
	case i%10 == 0:
		u.Status, u.UpdatedAt, u.Revision = domain.StatusPending, created, 1
	case i%50 == 3:
		u.Status, u.TokenVersion = domain.StatusRejected, 1
	}
	return u
}

// userColumns are the users table's columns, in the order of userValues.
var userColumns = []string{"email", "password_hash", "is_admin", "status", "must_change_password",
	"created_at", "updated_at", "token_version", "revision"}

func userValues(u domain.User) []any {
	return []any{u.Email, u.PasswordHash, u.IsAdmin, string(u.Status), u.MustChangePassword,
		u.CreatedAt, u.UpdatedAt, u.TokenVersion, u.Revision}
}

// seedUsers stores scaleUser(0) .. scaleUser(n-1) in the empty table of s,
// which the store's own migrations made (so the indexes are the real ones):
// on PostgreSQL by COPY, then VACUUM ANALYZE as autovacuum would; on SQLite
// by multi-row INSERTs of 1000 users in one transaction, formatted by bun as
// the store formats its own writes. throwaway lets the SQLite connection
// skip syncing and use a large page cache while it seeds (for a file that
// is deleted after the run). It then checks, through the store, that the
// rows read back as the users they stand for.
func seedUsers(ctx context.Context, s *bunstore.Store, n int, throwaway bool) error {
	hashes, err := scaleHashes()
	if err != nil {
		return err
	}
	if s.DB().Dialect().Name() == dialect.PG {
		err = copyUsers(ctx, s, n, hashes)
	} else {
		err = insertUsers(ctx, s, n, hashes, throwaway)
	}
	if err != nil {
		return fmt.Errorf("seed %d users into %s: %w", n, s.Table(), err)
	}
	return checkSeeded(ctx, s, n, hashes)
}

// copyUsers seeds a PostgreSQL table through pgx's COPY.
func copyUsers(ctx context.Context, s *bunstore.Store, n int, hashes []string) error {
	conn, err := s.DB().DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("the database is not on pgx's stdlib driver (%T)", driverConn)
		}
		copied, err := c.Conn().CopyFrom(ctx, pgx.Identifier{s.Table()}, userColumns,
			pgx.CopyFromSlice(n, func(i int) ([]any, error) { return userValues(scaleUser(i, hashes)), nil }))
		if err == nil && copied != int64(n) {
			err = fmt.Errorf("copied %d rows", copied)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `VACUUM (ANALYZE) "`+s.Table()+`"`); err != nil {
		return fmt.Errorf("vacuum analyze: %w", err)
	}
	return nil
}

// insertUsers seeds a SQLite table in one transaction.
func insertUsers(ctx context.Context, s *bunstore.Store, n int, hashes []string, throwaway bool) (err error) {
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if throwaway {
		for _, p := range []string{"synchronous = OFF", "cache_size = -262144", "temp_store = MEMORY"} {
			if _, err := conn.ExecContext(ctx, "PRAGMA "+p); err != nil {
				return err
			}
		}
		// The connection goes back to the pool: give it Open's settings
		// back.
		defer func() {
			for _, p := range []string{"synchronous = FULL", "cache_size = -2000", "temp_store = DEFAULT"} {
				if _, resetErr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA "+p); resetErr != nil && err == nil {
					err = resetErr
				}
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it only reports that
	const batch = 1000
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(userColumns)), ", ") + ")"
	head := `INSERT INTO "` + s.Table() + `" (` + strings.Join(userColumns, ", ") + `) VALUES `
	args := make([]any, 0, batch*len(userColumns))
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		args = args[:0]
		for i := lo; i < hi; i++ {
			args = append(args, userValues(scaleUser(i, hashes))...)
		}
		query := head + strings.TrimSuffix(strings.Repeat(row+", ", hi-lo), ", ")
		if _, err := tx.NewRaw(query, args...).Exec(ctx); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// checkSeeded reads a few seeded users back through the store and checks
// that they are the users they stand for, and that Create sees their
// emails as taken (so the stored key is the one the store computes).
func checkSeeded(ctx context.Context, s *bunstore.Store, n int, hashes []string) error {
	for _, i := range []int{0, 3, 7, n / 2, n - 1} {
		want := scaleUser(i, hashes)
		got, err := s.FindByEmail(ctx, strings.ToUpper(want.Email))
		if err != nil {
			return fmt.Errorf("check seeded user %d: %w", i, err)
		}
		if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
			return fmt.Errorf("check seeded user %d: times read back as %v, %v; want %v, %v",
				i, got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
		}
		got.CreatedAt, got.UpdatedAt = want.CreatedAt, want.UpdatedAt
		if got != want {
			return fmt.Errorf("check seeded user %d: read back %+v; want %+v", i, got, want)
		}
	}
	if err := s.Create(ctx, scaleUser(n-1, hashes)); !errors.Is(err, domain.ErrEmailTaken) {
		return fmt.Errorf("check seeded users: Create of a seeded email: %v; want ErrEmailTaken", err)
	}
	return nil
}

// A scaleBackend is a database the scale benchmarks run on, holding seeded
// populations for the run.
type scaleBackend struct {
	name string
	// fixture seeds a population of n users, and returns the URL and
	// table of a store on it.
	fixture func(tb testing.TB, n int) (url, table string)
}

var scaleBackends = []scaleBackend{
	{"sqlite_file", sqliteFixture},
	{"postgres", postgresFixture},
}

// scaleFixtures are the populations seeded in this process, by backend and
// size, and the directory of the SQLite ones.
var scaleFixtures struct {
	sync.Mutex
	seeded map[string]bool
	dir    string
}

// fixture runs seed once per backend and size in the process.
func fixture(tb testing.TB, backend string, n int, seed func() error) {
	tb.Helper()
	scaleFixtures.Lock()
	defer scaleFixtures.Unlock()
	key := backend + "/" + strconv.Itoa(n)
	if scaleFixtures.seeded[key] {
		return
	}
	start := time.Now()
	if err := seed(); err != nil {
		tb.Fatalf("%s: %v", key, err)
	}
	if scaleFixtures.seeded == nil {
		scaleFixtures.seeded = map[string]bool{}
	}
	scaleFixtures.seeded[key] = true
	if n >= 100_000 {
		tb.Logf("seeded %d users on %s in %v", n, backend, time.Since(start).Round(time.Millisecond))
	}
}

// removeScaleFixtures deletes the SQLite populations (TestMain calls it; the
// PostgreSQL ones go with the run's schema).
func removeScaleFixtures() {
	scaleFixtures.Lock()
	defer scaleFixtures.Unlock()
	if scaleFixtures.dir != "" {
		if err := os.RemoveAll(scaleFixtures.dir); err != nil {
			fmt.Fprintf(os.Stderr, "bunstore: remove the seeded SQLite files: %v\n", err)
		}
	}
}

// sqliteFixture seeds n users into a SQLite file of this run, made by Open.
func sqliteFixture(tb testing.TB, n int) (url, table string) {
	tb.Helper()
	scaleFixtures.Lock()
	if scaleFixtures.dir == "" {
		dir, err := os.MkdirTemp("", "bunstore-scale-")
		if err != nil {
			scaleFixtures.Unlock()
			tb.Fatal(err)
		}
		scaleFixtures.dir = dir
	}
	url = "sqlite://" + filepath.Join(scaleFixtures.dir, fmt.Sprintf("users-%d.db", n))
	scaleFixtures.Unlock()
	fixture(tb, "sqlite_file", n, func() error {
		ctx := context.Background()
		s, err := bunstore.Open(ctx, url, quiet)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := seedUsers(ctx, s, n, true); err != nil {
			return err
		}
		return checkPlans(ctx, s, lookupStatements)
	})
	return url, bunstore.DefaultTable
}

// postgresFixture seeds n users into a table of the run's schema (dropped
// with it by TestMain), made by New.
func postgresFixture(tb testing.TB, n int) (url, table string) {
	tb.Helper()
	needPostgres(tb)
	table = fmt.Sprintf("users_scale_%d", n)
	fixture(tb, "postgres", n, func() error {
		ctx := context.Background()
		s, err := bunstore.New(ctx, pg.db, bunstore.WithTable(table), quiet)
		if err != nil {
			return err
		}
		if err := seedUsers(ctx, s, n, true); err != nil {
			return err
		}
		return checkPlans(ctx, s, lookupStatements)
	})
	return pg.url, table
}

// openScale returns a store made by Open, as an application would make it,
// on a population of n users of backend b, closed when tb ends.
func openScale(tb testing.TB, b scaleBackend, n int) *bunstore.Store {
	tb.Helper()
	url, table := b.fixture(tb, n)
	return mustOpen(tb, url, bunstore.WithTable(table))
}

// forEachScale runs f as a sub-benchmark prefix/backend/users=size for
// every backend and every size of this run.
func forEachScale(b *testing.B, prefix string, f func(b *testing.B, be scaleBackend, n int)) {
	sizes := scaleSizes(b)
	for _, be := range scaleBackends {
		for _, n := range sizes {
			b.Run(prefix+be.name+"/users="+sizeLabel(n), func(b *testing.B) { f(b, be, n) })
		}
	}
}

// lookupShareUnknown is the share of the looked-up emails that no user has,
// as in logins with a mistyped address.
const lookupShareUnknown = 10 // percent

// lookupKeys returns count emails to look up in a population of n, random
// (with a fixed seed) and lookupShareUnknown% unknown, and whether each is
// stored.
func lookupKeys(n, count int) (emails []string, stored []bool) {
	r := rand.New(rand.NewPCG(uint64(n), 1))
	emails, stored = make([]string, count), make([]bool, count)
	for k := range emails {
		if r.IntN(100) < lookupShareUnknown {
			emails[k] = unknownEmail(r.IntN(n))
		} else {
			emails[k], stored[k] = scaleEmail(r.IntN(n)), true
		}
	}
	return emails, stored
}

// approvedUsers returns count random approved users (with a fixed seed) of
// a population of n.
func approvedUsers(n, count int) []int {
	r := rand.New(rand.NewPCG(uint64(n), 2))
	users := make([]int, 0, count)
	for len(users) < count {
		if i := r.IntN(n); scaleApproved(i) {
			users = append(users, i)
		}
	}
	return users
}

// BenchmarkLookupScale proves that the store's lookup by email, the one
// query of the login and Authenticate paths, costs the same whatever the
// number of users: it runs FindByEmail on a store made by Open over
// populations of 1k users (and 100k and 1M with AUTHADMIN_BENCH_SCALE, see
// the top of this file), on a SQLite file and on PostgreSQL, for random
// emails, one in ten of them unknown (a login with an unknown email makes
// the same lookup). The keys are picked before the timer starts, from 64k
// random users, so the lookups reach all over the table's index rather
// than a few hot pages. With an index the cost grows with the depth of
// the B-tree (one or two more pages from 1k to 1M users, in cache); with
// a scan it would grow a thousandfold. Each population's plans are checked
// when it is seeded (checkPlans).
func BenchmarkLookupScale(b *testing.B) {
	forEachScale(b, "", func(b *testing.B, be scaleBackend, n int) {
		s := openScale(b, be, n)
		emails, stored := lookupKeys(n, 1<<16)
		ctx := context.Background()
		find := func(k int) {
			_, err := s.FindByEmail(ctx, emails[k])
			switch {
			case stored[k] && err != nil:
				b.Fatalf("FindByEmail(%s): %v", emails[k], err)
			case !stored[k] && !errors.Is(err, domain.ErrUserNotFound):
				b.Fatalf("FindByEmail(%s): %v; want ErrUserNotFound", emails[k], err)
			}
		}
		for k := range 100 { // connect first
			find(k)
		}
		b.ReportAllocs()
		for k := 0; b.Loop(); k = (k + 1) % len(emails) {
			find(k)
		}
	})
}

// BenchmarkServiceScale proves the same for what the library runs per
// request, through usecase.Service on a store made by Open:
//
//   - login: Service.Login with the right password of a random approved
//     user (of 4k picked before the timer; right passwords, so the limiter
//     never holds one back). Bcrypt at MinCost keeps the hash from hiding
//     the store, though it still costs about a millisecond, most of the
//     total.
//   - authenticate: Service.Authenticate (what RequireLogin runs) of a
//     valid token of a random approved user (16k distinct tokens made
//     before the timer), with the user cache off (UserCacheTTL < 0), so
//     that every call reads the user from the store, as a cache miss does.
//
// Both make exactly one store call, FindByEmail (the seeded hashes have the
// hasher's cost, so Login does not rehash): their cost must not grow with
// the number of users.
func BenchmarkServiceScale(b *testing.B) {
	forEachScale(b, "login/", func(b *testing.B, be scaleBackend, n int) {
		svc := newScaleKit(b, openScale(b, be, n)).Service
		users := approvedUsers(n, 1<<12)
		reqs := make([]usecase.LoginRequest, len(users))
		for k, i := range users {
			reqs[k] = usecase.LoginRequest{Email: scaleEmail(i), Password: scalePassword}
		}
		ctx := context.Background()
		login := func(k int) {
			if _, err := svc.Login(ctx, reqs[k]); err != nil {
				b.Fatalf("Login(%s): %v", reqs[k].Email, err)
			}
		}
		for k := range 10 {
			login(k)
		}
		b.ReportAllocs()
		for k := 0; b.Loop(); k = (k + 1) % len(reqs) {
			login(k)
		}
	})
	forEachScale(b, "authenticate/", func(b *testing.B, be scaleBackend, n int) {
		kit := newScaleKit(b, openScale(b, be, n))
		svc := kit.Service
		hashes, err := scaleHashes()
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		issued := kit.Clock.Now()
		users := approvedUsers(n, 1<<14)
		tokens := make([]string, len(users))
		for k, i := range users {
			// Each token issued at another second: the tokens are distinct
			// at every size (a small population repeats users), so that a
			// cache of verified tokens in the Service fares alike at 1k and
			// at 1M users.
			u := scaleUser(i, hashes)
			at := issued.Add(-time.Duration(k) * time.Second)
			tokens[k], err = kit.Tokens.Encode(ctx, domain.Claims{Subject: u.Email, IsAdmin: u.IsAdmin,
				TokenVersion: u.TokenVersion, IssuedAt: at, ExpiresAt: issued.Add(time.Hour)})
			if err != nil {
				b.Fatal(err)
			}
		}
		authenticate := func(k int) {
			if _, err := svc.Authenticate(ctx, tokens[k]); err != nil {
				b.Fatalf("Authenticate(token of %s): %v", scaleEmail(users[k]), err)
			}
		}
		for k := range 100 {
			authenticate(k)
		}
		b.ReportAllocs()
		for k := 0; b.Loop(); k = (k + 1) % len(tokens) {
			authenticate(k)
		}
	})
}

// quietLog discards what it is given.
var quietLog = slog.New(slog.DiscardHandler)

// newScaleKit returns the test kit on repo, with bcrypt at MinCost (the
// seeded hashes' cost, so that Login checks real hashes and never rehashes)
// and no user cache.
func newScaleKit(tb testing.TB, repo ports.UserRepository) *authtest.Kit {
	tb.Helper()
	hasher, err := bcrypthash.New(bcrypthash.MinCost, bcrypthash.AllowLowCost(), bcrypthash.WithLogger(quietLog))
	if err != nil {
		tb.Fatal(err)
	}
	return authtest.New(authtest.WithStore(repo), authtest.WithConfig(func(c *usecase.Config) {
		c.Hasher, c.UserCacheTTL = hasher, -1
	}))
}

// explain returns the plan the database makes for query with args (bun
// writes the arguments into the text, as the store's calls do): EXPLAIN
// QUERY PLAN on SQLite, EXPLAIN on PostgreSQL, one line per row.
func explain(ctx context.Context, db *bun.DB, query string, args ...any) (string, error) {
	prefix := "EXPLAIN QUERY PLAN "
	if db.Dialect().Name() == dialect.PG {
		prefix = "EXPLAIN "
	}
	rows, err := db.QueryContext(ctx, prefix+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		// The plan's text is the last column on both engines.
		switch v := vals[len(vals)-1].(type) {
		case []byte:
			lines = append(lines, string(v))
		case string:
			lines = append(lines, v)
		}
	}
	return strings.Join(lines, "\n"), rows.Err()
}

// A planCheck is a statement of the store and what its plan must (and must
// not) say.
type planCheck struct {
	name      string
	statement string // key in Store.StatementsForTest
	args      func(u domain.User) []any
	// kind is "lookup" (one row through the primary key), "pending"
	// (the pending index, in order) or "admin" (EnsureAdmin: the index of
	// administrators, which holds only them, rather than the table).
	kind string
}

// lookupStatements are the statements of the login and Authenticate paths:
// FindByEmail (Login, Authenticate), and Update's compare-and-swap and its
// revision read (Login's rehash of a hash of another cost).
var lookupStatements = []planCheck{
	{"FindByEmail", "find", func(u domain.User) []any { return []any{u.Email} }, "lookup"},
	{"Update", "update", func(u domain.User) []any {
		return []any{u.PasswordHash, u.IsAdmin, string(u.Status), u.MustChangePassword,
			u.CreatedAt, u.UpdatedAt, u.TokenVersion, "write-id", u.Email, u.Revision}
	}, "lookup"},
	{"Update (revision read)", "mark", func(u domain.User) []any { return []any{u.Email} }, "lookup"},
}

// checkPlans explains each of checks on the table of s, which holds
// scaleUser(3), and returns an error saying what is wrong with their plans,
// if anything. A lookup must be a search of the primary key (SQLite:
// "SEARCH <table> USING PRIMARY KEY (email=?)"; PostgreSQL: an Index Scan
// of <table>_pkey with the email as its condition), with no scan, sort or
// bitmap; the pending listing must read the pending index in order.
func checkPlans(ctx context.Context, s *bunstore.Store, checks []planCheck) error {
	return checkPlansLog(ctx, s, checks, nil)
}

// checkPlansLog is checkPlans that also gives each plan to logf.
func checkPlansLog(ctx context.Context, s *bunstore.Store, checks []planCheck, logf func(format string, args ...any)) error {
	hashes, err := scaleHashes()
	if err != nil {
		return err
	}
	u := scaleUser(3, hashes)
	stmts := s.StatementsForTest()
	table := s.Table()
	pgSQL := s.DB().Dialect().Name() == dialect.PG
	var problems []string
	for _, c := range checks {
		plan, err := explain(ctx, s.DB(), stmts[c.statement], c.args(u)...)
		if err != nil {
			return fmt.Errorf("explain %s: %w", c.name, err)
		}
		if logf != nil {
			logf("%s plan:\n%s", c.name, plan)
		}
		var want, refuse []string
		switch {
		case c.kind == "lookup" && pgSQL:
			want = []string{"Index Scan using " + table + "_pkey on " + table, "Index Cond: (email = "}
			refuse = []string{"Seq Scan", "Bitmap", "Sort"}
		case c.kind == "lookup":
			want = []string{"SEARCH " + table + " USING PRIMARY KEY (email=?)"}
			refuse = []string{"SCAN", "TEMP B-TREE"}
		case c.kind == "admin" && pgSQL:
			want = []string{"Scan using " + table + "_admin_idx on " + table}
			refuse = []string{"Seq Scan"}
		case c.kind == "admin":
			want = []string{"SCAN " + table + " USING INDEX " + table + "_admin_idx"}
		case pgSQL:
			want = []string{"Index Scan using " + table + "_pending_idx on " + table}
			refuse = []string{"Seq Scan", "Bitmap", "Sort"}
		default:
			want = []string{"USING INDEX " + table + "_pending_idx"}
			refuse = []string{"TEMP B-TREE"}
		}
		for _, w := range want {
			if !strings.Contains(plan, w) {
				problems = append(problems, fmt.Sprintf("%s plan lacks %q:\n%s", c.name, w, plan))
			}
		}
		for _, r := range refuse {
			if strings.Contains(plan, r) {
				problems = append(problems, fmt.Sprintf("%s plan has %q:\n%s", c.name, r, plan))
			}
		}
	}
	if problems != nil {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}
