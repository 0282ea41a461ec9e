package jwtcodec_test

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authadmin/authadmin/adapters/jwtcodec"
	"github.com/authadmin/authadmin/domain"
)

// The tests in this file hold Decode to jwtcodec.ReferenceDecode, a model
// of it on golang-jwt's parser: on every token they build, both must
// accept or both refuse, refusals must name the same fault (sameFault),
// and accepted tokens must give deeply equal claims (times with their
// locations, Extra with its Go types).

// diffConfig is a codec configuration the differential tests decode with:
// the options New gets besides testKey.
type diffConfig struct {
	name string
	opts []jwtcodec.Option
}

const (
	diffIssuer   = "https://auth.example.com"
	diffAudience = "admin-api"
)

var diffConfigs = []diffConfig{
	{"default", nil},
	{"no leeway", []jwtcodec.Option{jwtcodec.WithLeeway(-1)}},
	{"leeway 30s", []jwtcodec.Option{jwtcodec.WithLeeway(30 * time.Second)}},
	{"leeway 1.5s", []jwtcodec.Option{jwtcodec.WithLeeway(1500 * time.Millisecond)}},
	{"leeway 1ns", []jwtcodec.Option{jwtcodec.WithLeeway(time.Nanosecond)}},
	{"issuer and audience", []jwtcodec.Option{jwtcodec.WithIssuer(diffIssuer), jwtcodec.WithAudience(diffAudience)}},
	{"issuer", []jwtcodec.Option{jwtcodec.WithIssuer(diffIssuer)}},
	{"audience", []jwtcodec.Option{jwtcodec.WithAudience(diffAudience), jwtcodec.WithLeeway(999 * time.Millisecond)}},
	{"HS384", []jwtcodec.Option{jwtcodec.WithAlgorithm("HS384")}},
	{"HS512 no leeway", []jwtcodec.Option{jwtcodec.WithAlgorithm("HS512"), jwtcodec.WithLeeway(-1)}},
	{"1 MiB tokens", []jwtcodec.Option{jwtcodec.WithMaxTokenBytes(1 << 20)}},
}

// diffCodecs returns a codec on testKey for every diffConfig.
func diffCodecs(t testing.TB) []*jwtcodec.Codec {
	t.Helper()
	cs := make([]*jwtcodec.Codec, len(diffConfigs))
	for i, dc := range diffConfigs {
		cs[i] = newCodec(t, dc.opts...)
	}
	return cs
}

// diffNows are the instants the differential tests decode at: on, just
// after and just before a whole second.
var diffNows = []time.Time{
	now,
	now.Add(500 * time.Millisecond),
	now.Add(time.Second - time.Nanosecond),
	now.Add(-time.Nanosecond),
	now.Add(5 * time.Second),
	now.Add(-5 * time.Second),
}

// sameAsReference fails t unless Decode and ReferenceDecode agree on token
// at at, and returns whether the token was accepted.
func sameAsReference(t testing.TB, c *jwtcodec.Codec, token string, at time.Time) bool {
	t.Helper()
	got, err := decodeNoPanic(t, c, token, at)
	want, wantErr := jwtcodec.ReferenceDecode(c, token, at)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("token %q at %v (%s):\nDecode:    %+v, %v\nreference: %+v, %v\nheader %q\npayload %q",
			token, at, c.Algorithm(), got, err, want, wantErr, segmentText(token, 0), segmentText(token, 1))
	}
	if err != nil {
		if !errors.Is(err, domain.ErrInvalidToken) {
			t.Fatalf("Decode(%q) error %q does not wrap domain.ErrInvalidToken", token, err)
		}
		if !reflect.DeepEqual(got, domain.Claims{}) {
			t.Fatalf("Decode(%q) returned claims with its error: %+v", token, got)
		}
		if !sameFault(c, token, err, wantErr) {
			t.Fatalf("token %q at %v (%s): Decode and the reference report different faults\nDecode:    %v\nreference: %v\nheader %q\npayload %q",
				token, at, c.Algorithm(), err, wantErr, segmentText(token, 0), segmentText(token, 1))
		}
		return false
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("token %q at %v: claims differ\nDecode:    %#v\nreference: %#v\npayload %q",
			token, at, got, want, segmentText(token, 1))
	}
	return true
}

// sentinels are the faults a Decode error reports, exactly one at a time.
var sentinels = []error{
	jwtcodec.ErrTooLong, jwtcodec.ErrMalformed, jwtcodec.ErrSignature, jwtcodec.ErrHeader,
	jwtcodec.ErrClaims, jwtcodec.ErrExpired, jwtcodec.ErrNotValidYet, jwtcodec.ErrIssuer, jwtcodec.ErrAudience,
}

// sentinelOf returns the one sentinel err wraps, nil if it wraps none or
// several.
func sentinelOf(err error) error {
	var found error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			if found != nil {
				return nil
			}
			found = s
		}
	}
	return found
}

// beforeClaims are the faults found before the claims are read.
var beforeClaims = []error{jwtcodec.ErrTooLong, jwtcodec.ErrMalformed, jwtcodec.ErrSignature, jwtcodec.ErrHeader}

// sameFault reports whether Decode's error err names a fault the
// reference's error ref names (ReferenceDecode wraps the sentinels of every
// fault golang-jwt reported). golang-jwt reads the header and payload
// before it checks the signature and Decode after, so for a token whose
// signature does not verify both need only report a fault found before the
// claims, and the same one when it is the length.
func sameFault(c *jwtcodec.Codec, token string, err, ref error) bool {
	d := sentinelOf(err)
	if d == nil {
		return false
	}
	if jwtcodec.SignatureVerifies(c, token) {
		return errors.Is(ref, d)
	}
	if !slices.Contains(beforeClaims, d) {
		return false
	}
	n := 0
	for _, s := range sentinels {
		if errors.Is(ref, s) {
			if !slices.Contains(beforeClaims, s) {
				return false
			}
			n++
		}
	}
	return n > 0 && (d == jwtcodec.ErrTooLong) == errors.Is(ref, jwtcodec.ErrTooLong)
}

// decodeNoPanic is Decode, failing t if it panics.
func decodeNoPanic(t testing.TB, c *jwtcodec.Codec, token string, at time.Time) (claims domain.Claims, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Decode(%q) panicked: %v", token, r)
		}
	}()
	return c.Decode(bg, token, at)
}

// segmentText is the decoded text of segment i of token, for messages.
func segmentText(token string, i int) string {
	p := strings.Split(token, ".")
	if i >= len(p) {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(p[i])
	if err != nil {
		return "(not base64url: " + p[i] + ")"
	}
	return string(b)
}

// signJSON signs the JSON texts head and claims with alg and testKey.
func signJSON(alg, head, claims string) string {
	return sign(alg, testKey, b64([]byte(head)), b64([]byte(claims)))
}

// stdHeader is the header Encode writes, for alg.
func stdHeader(alg string) string { return `{"alg":"` + alg + `","typ":"JWT"}` }

// claimsText is a payload as JSON text: the claims of payload(nil) with the
// given raw JSON values ("" leaves a claim out), then extra raw members.
func claimsText(changes map[string]string, extra ...string) string {
	vals := map[string]string{
		"sub": `"ann@example.com"`, "is_admin": "false", "ver": "3",
		"iat": strconv.FormatInt(now.Unix()-60, 10), "exp": strconv.FormatInt(now.Unix()+3600, 10),
	}
	order := []string{"sub", "is_admin", "ver", "iat", "exp"}
	for k, v := range changes {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	var b strings.Builder
	b.WriteByte('{')
	sep := ""
	for _, k := range order {
		if vals[k] == "" {
			continue
		}
		b.WriteString(sep + strconv.Quote(k) + ":" + vals[k])
		sep = ","
	}
	for _, m := range extra {
		b.WriteString(sep + m)
		sep = ","
	}
	b.WriteByte('}')
	return b.String()
}

func TestDifferentialAttackCases(t *testing.T) {
	codecs := diffCodecs(t)
	for _, tt := range attackCases(t) {
		for _, c := range codecs {
			for _, at := range diffNows {
				sameAsReference(t, c, tt.token, at)
			}
		}
	}
}

// fuzzCorpus returns the (token, claims JSON) pairs of FuzzDecode's corpus
// in testdata.
func fuzzCorpus(t testing.TB) [][2]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzDecode", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no FuzzDecode corpus (%v)", err)
	}
	var out [][2]string
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		var vals []string
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if q, ok := strings.CutPrefix(line, "string("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				vals = append(vals, s)
			}
		}
		f.Close()
		if len(vals) != 2 {
			t.Fatalf("%s: %d values, want 2", name, len(vals))
		}
		out = append(out, [2]string{vals[0], vals[1]})
	}
	return out
}

func TestDifferentialFuzzCorpus(t *testing.T) {
	codecs := diffCodecs(t)
	for _, in := range fuzzCorpus(t) {
		for _, c := range codecs {
			for _, at := range diffNows {
				sameAsReference(t, c, in[0], at)
				sameAsReference(t, c, signJSON(c.Algorithm(), stdHeader(c.Algorithm()), in[1]), at)
			}
		}
	}
}

// TestTimeBoundaries pins the instants at which exp, nbf and iat start or
// stop being accepted, for several leeways, with whole and fractional
// seconds in the token and in the decoding time, and checks each case
// against the reference too.
func TestTimeBoundaries(t *testing.T) {
	sec := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	type boundary struct {
		name   string
		leeway time.Duration // the WithLeeway option
		eff    time.Duration // the leeway in effect
		at     time.Time
		claim  string // "exp", "nbf" or "iat"
		value  string // raw JSON
		ok     bool
	}
	var cases []boundary
	for _, lw := range []struct {
		cfg, eff time.Duration
	}{{0, 5 * time.Second}, {-1, 0}, {30 * time.Second, 30 * time.Second}, {1500 * time.Millisecond, 1500 * time.Millisecond}} {
		add := func(name, claim, value string, at time.Time, ok bool) {
			cases = append(cases, boundary{
				name:   fmt.Sprintf("leeway %v: %s", lw.eff, name),
				leeway: lw.cfg, eff: lw.eff, at: at, claim: claim, value: value, ok: ok,
			})
		}
		// exp: accepted while now < exp + leeway.
		edge := now.Add(-lw.eff) // exp at which now is exactly exp+leeway
		if edge.Nanosecond() == 0 {
			add("exp+leeway is now: refused", "exp", sec(edge), now, false)
			add("exp+leeway is 1ns after now: accepted", "exp", sec(edge), now.Add(-time.Nanosecond), true)
			add("exp+leeway is 1s after now: accepted", "exp", sec(edge.Add(time.Second)), now, true)
			add("exp+leeway is 1s before now: refused", "exp", sec(edge.Add(-time.Second)), now, false)
			// Fractions of a second are cut off (jwt.TimePrecision).
			add("exp+leeway is now plus .9 s in the token: refused", "exp", sec(edge)+".9", now, false)
			add("exp+leeway is now plus .999999 s in the token: refused", "exp", sec(edge)+".999999", now, false)
			// A float64 holds seconds near 1.7e9 to about 2.4e-7 s, so
			// .9999999 is the next whole second before any truncation.
			add("exp+leeway is now plus .9999999 s in the token: rounded up, accepted", "exp", sec(edge)+".9999999", now, true)
			add("exp as a float at the edge: refused", "exp", sec(edge)+".0", now, false)
			add("exp in exponent form at the edge: refused", "exp", strconv.FormatFloat(float64(edge.Unix()), 'e', -1, 64), now, false)
			add("exp 1s past the edge in exponent form: accepted", "exp", strconv.FormatFloat(float64(edge.Unix()+1), 'E', -1, 64), now, true)
			add("exp+leeway is now, decoded .5 s earlier: accepted", "exp", sec(edge), now.Add(-500*time.Millisecond), true)
		} else {
			// A sub-second leeway: the edge falls inside a second.
			add("exp whole second before the edge: refused", "exp", sec(edge.Truncate(time.Second)), now, false)
			add("exp whole second after the edge: accepted", "exp", sec(edge.Truncate(time.Second).Add(time.Second)), now, true)
			add("exp at the edge, decoded at the edge minus 1ns: accepted", "exp", sec(edge.Truncate(time.Second)), now.Add(-edge.Sub(edge.Truncate(time.Second))).Add(-time.Nanosecond), true)
		}
		// nbf and iat: accepted unless now < value - leeway.
		edge = now.Add(lw.eff) // value at which now is exactly value-leeway
		for _, claim := range []string{"nbf", "iat"} {
			if edge.Nanosecond() == 0 {
				add(claim+"-leeway is now: accepted", claim, sec(edge), now, true)
				add(claim+"-leeway is 1ns after now: refused", claim, sec(edge), now.Add(-time.Nanosecond), false)
				add(claim+"-leeway is 1s after now: refused", claim, sec(edge.Add(time.Second)), now, false)
				add(claim+" with .999999 s past the edge: accepted", claim, sec(edge)+".999999", now, true)
				add(claim+" with .9999999 s past the edge: rounded up, refused", claim, sec(edge)+".9999999", now, false)
				add(claim+" in exponent form 1s past the edge: refused", claim, strconv.FormatFloat(float64(edge.Unix()+1), 'e', -1, 64), now, false)
			} else {
				add(claim+" whole second before the edge: accepted", claim, sec(edge.Truncate(time.Second)), now, true)
				add(claim+" whole second after the edge: refused", claim, sec(edge.Truncate(time.Second).Add(time.Second)), now, false)
			}
		}
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c := newCodec(t, jwtcodec.WithLeeway(tt.leeway))
			changes := map[string]string{tt.claim: tt.value}
			if tt.claim == "iat" {
				changes["exp"] = sec(now.Add(time.Hour))
			}
			if tt.claim == "exp" {
				changes["iat"] = sec(now.Add(-10 * time.Hour))
			}
			tok := signJSON("HS256", stdHeader("HS256"), claimsText(changes))
			if got := sameAsReference(t, c, tok, tt.at); got != tt.ok {
				t.Fatalf("%s %s at %v: accepted = %v, want %v", tt.claim, tt.value, tt.at, got, tt.ok)
			}
		})
	}
}

// TestJSONEdgeCases compares Decode with the reference on hand-written
// headers and payloads, correctly signed, that probe the JSON reader; ok
// is what both must do.
func TestJSONEdgeCases(t *testing.T) {
	deep := func(open, mid, close string, n int) string {
		return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
	}
	h := stdHeader("HS256")
	p := claimsText(nil)
	cases := []struct {
		name   string
		header string
		claims string
		ok     bool
	}{
		{"control", h, p, true},

		// Headers.
		{"header with white space", " \t\r\n{ \"alg\" : \"HS256\" } \n", p, true},
		{"header with trailing data", h + "x", p, false},
		{"header with a second object", h + "{}", p, false},
		{"header null", "null", p, false},
		{"header array", `["HS256"]`, p, false},
		{"header string", `"HS256"`, p, false},
		{"header empty", "", p, false},
		{"header with a BOM", "\ufeff" + h, p, false},
		{"alg escaped", `{"alg":"HS\u0032\u00356"}`, p, true},
		{"alg name escaped", `{"\u0061lg":"HS256"}`, p, true},
		{"alg upper-case name", `{"ALG":"HS256"}`, p, false},
		{"alg twice, good last", `{"alg":"none","alg":"HS256"}`, p, true},
		{"alg twice, good first", `{"alg":"HS256","alg":"none"}`, p, false},
		{"alg twice, number last", `{"alg":"HS256","alg":256}`, p, false},
		{"alg with a NUL", `{"alg":"HS256\u0000"}`, p, false},
		{"typ a number", `{"alg":"HS256","typ":1}`, p, true},
		{"typ null", `{"alg":"HS256","typ":null}`, p, true},
		{"typ an object", `{"alg":"HS256","typ":{"a":[1,2]}}`, p, true},
		{"kid of every type", `{"alg":"HS256","kid":[1,"x",true,false,null,{}]}`, p, true},
		{"header number beyond float64", `{"alg":"HS256","x":1e400}`, p, false},
		{"header nested number beyond float64", `{"alg":"HS256","x":{"y":[-1e400]}}`, p, false},
		{"header number that underflows", `{"alg":"HS256","x":1e-400}`, p, true},
		{"header big integer", `{"alg":"HS256","x":123456789012345678901234567890}`, p, true},
		{"header max float64", `{"alg":"HS256","x":1.7976931348623157e308}`, p, true},
		{"header just beyond max float64", `{"alg":"HS256","x":1.7976931348623159e308}`, p, false},
		{"header invalid number", `{"alg":"HS256","x":01}`, p, false},
		{"header trailing comma", `{"alg":"HS256",}`, p, false},
		{"header crit", `{"alg":"HS256","crit":["exp"]}`, p, false},
		{"header crit null", `{"alg":"HS256","crit":null}`, p, false},
		{"header crit escaped", `{"alg":"HS256","\u0063rit":[]}`, p, false},
		{"header CRIT", `{"alg":"HS256","CRIT":[]}`, p, true},
		{"header invalid UTF-8 key", "{\"alg\":\"HS256\",\"\xff\":1}", p, true},
		{"header invalid UTF-8 in alg", "{\"alg\":\"HS256\xff\"}", p, false},
		{"header control character", "{\"alg\":\"HS256\",\"x\":\"\x01\"}", p, false},
		{"header bad escape", `{"alg":"HS256","x":"\q"}`, p, false},
		{"header single-quote escape", `{"alg":"HS256","x":"\'"}`, p, false},
		{"header short unicode escape", `{"alg":"HS256","x":"\u12"}`, p, false},
		// encoding/json allows 10000 objects and arrays open at once,
		// the header or payload object included.
		{"header nested 10000 deep", `{"alg":"HS256","x":` + deep("[", "", "]", 9999) + `}`, p, true},
		{"header nested 10001 deep", `{"alg":"HS256","x":` + deep("[", "", "]", 10000) + `}`, p, false},

		// Payloads.
		{"payload with white space", h, " \n{ \"sub\" : \"ann@example.com\" , \"is_admin\":false,\"ver\":3,\"iat\":1699999940,\"exp\":1700003600 }\t", true},
		{"payload with trailing garbage", h, p + "garbage", true},
		{"payload with a second object", h, p + "{}", true},
		{"payload with a stray brace", h, p + "}", true},
		{"payload with trailing invalid UTF-8", h, p + "\xff", true},
		{"payload null", h, "null", false},
		{"payload null then an object", h, "null " + p, false},
		{"payload empty", h, "", false},
		{"payload white space", h, "  ", false},
		{"payload array", h, "[" + p + "]", false},
		{"payload number", h, "1", false},
		{"payload truncated", h, p[:len(p)-1], false},
		{"payload with a BOM", h, "\ufeff" + p, false},
		{"duplicate sub, last wins", h, claimsText(nil, `"sub":"bob@example.com"`), true},
		{"duplicate sub, last empty", h, claimsText(nil, `"sub":""`), false},
		{"duplicate exp, last a string", h, claimsText(nil, `"exp":"1700003600"`), false},
		{"duplicate exp, last good", h, claimsText(map[string]string{"exp": `"x"`}, `"exp":1700003600`), true},
		{"duplicate extra, last wins", h, claimsText(nil, `"role":"a"`, `"role":{"b":[1]}`), true},
		{"escaped reserved name", h, claimsText(nil, `"s\u0075b":"bob@example.com"`), true},
		{"escaped reserved name, bad value", h, claimsText(nil, `"is\u005fadmin":"yes"`), false},
		{"reserved name in another case", h, claimsText(nil, `"SUB":"bob@example.com"`, `"Is_Admin":true`), true},
		{"sub escaped", h, claimsText(map[string]string{"sub": `"ann\u0040example.com"`}), true},
		{"sub with escaped slash", h, claimsText(map[string]string{"sub": `"a\/b"`}), true},
		{"sub invalid UTF-8", h, claimsText(map[string]string{"sub": "\"ann\xffexample\xc3\""}), true},
		{"sub lone surrogate", h, claimsText(map[string]string{"sub": `"\ud800x"`}), true},
		{"sub surrogate pair", h, claimsText(map[string]string{"sub": `"\ud83d\ude00"`}), true},
		{"sub reversed surrogates", h, claimsText(map[string]string{"sub": `"\ude00\ud83d"`}), true},
		{"sub high surrogate then other escape", h, claimsText(map[string]string{"sub": `"\ud83d\n"`}), true},
		{"sub encoded surrogate bytes", h, claimsText(map[string]string{"sub": "\"\xed\xa0\x80\""}), true},
		{"sub NUL escape", h, claimsText(map[string]string{"sub": `"\u0000"`}), true},
		{"sub raw control character", h, claimsText(map[string]string{"sub": "\"a\tb\""}), false},
		{"sub raw DEL", h, claimsText(map[string]string{"sub": "\"a\x7fb\""}), true},
		{"ver -0", h, claimsText(map[string]string{"ver": "-0"}), true},
		{"ver 3.0", h, claimsText(map[string]string{"ver": "3.0"}), false},
		{"ver 3e0", h, claimsText(map[string]string{"ver": "3e0"}), false},
		{"ver max int64", h, claimsText(map[string]string{"ver": "9223372036854775807"}), true},
		{"ver min int64", h, claimsText(map[string]string{"ver": "-9223372036854775808"}), false},
		{"ver 03", h, claimsText(map[string]string{"ver": "03"}), false},
		{"ver +3", h, claimsText(map[string]string{"ver": "+3"}), false},
		{"ver .5", h, claimsText(map[string]string{"ver": ".5"}), false},
		{"ver 1.", h, claimsText(map[string]string{"ver": "1."}), false},
		{"ver 1e", h, claimsText(map[string]string{"ver": "1e"}), false},
		{"ver -", h, claimsText(map[string]string{"ver": "-"}), false},
		{"is_admin True", h, claimsText(map[string]string{"is_admin": "True"}), false},
		{"is_admin tru", h, claimsText(map[string]string{"is_admin": "tru"}), false},
		{"is_admin truex", h, claimsText(map[string]string{"is_admin": "truex"}), false},
		{"exp 1e300", h, claimsText(map[string]string{"exp": "1e300"}), false},
		{"exp 1e999", h, claimsText(map[string]string{"exp": "1e999"}), false},
		{"exp -1e999", h, claimsText(map[string]string{"exp": "-1e999"}), false},
		{"exp max int64", h, claimsText(map[string]string{"exp": "9223372036854775807"}), false},
		{"exp 2^63 as a float", h, claimsText(map[string]string{"exp": "9.223372036854775808e18"}), false},
		{"exp year 9999", h, claimsText(map[string]string{"exp": "253402300799"}), true},
		{"exp 1e-400", h, claimsText(map[string]string{"exp": "1e-400"}), false},
		{"exp fractional", h, claimsText(map[string]string{"exp": "1700003600.75"}), true},
		{"iat negative fraction (before 1970)", h, claimsText(map[string]string{"iat": "-0.5"}), false},
		{"iat after 9999", h, claimsText(map[string]string{"iat": "253402300800"}), false},
		{"nbf negative", h, claimsText(map[string]string{"nbf": "-1"}), false},
		{"iat 0", h, claimsText(map[string]string{"iat": "0"}), true},
		{"iat equal to exp after truncation", h, claimsText(map[string]string{"iat": "1700003600.2", "exp": "1700003600.9"}), false},
		{"nbf null", h, claimsText(map[string]string{"nbf": "null"}), false},
		{"nbf 0", h, claimsText(map[string]string{"nbf": "0"}), true},
		{"nbf fractional", h, claimsText(map[string]string{"nbf": "1699999999.5"}), true},
		{"iss null", h, claimsText(map[string]string{"iss": "null"}), false},
		{"iss empty", h, claimsText(map[string]string{"iss": `""`}), true},
		{"iss escaped", h, claimsText(map[string]string{"iss": `"https:\/\/auth.example.com"`}), true},
		{"jti null", h, claimsText(map[string]string{"jti": "null"}), false},
		{"jti empty", h, claimsText(map[string]string{"jti": `""`}), true},
		{"aud null", h, claimsText(map[string]string{"aud": "null"}), true},
		{"aud empty list", h, claimsText(map[string]string{"aud": "[]"}), true},
		{"aud empty string", h, claimsText(map[string]string{"aud": `""`}), true},
		{"aud list with an empty string", h, claimsText(map[string]string{"aud": `["", "x"]`}), true},
		{"aud list with null", h, claimsText(map[string]string{"aud": `["x",null]`}), false},
		{"aud list of lists", h, claimsText(map[string]string{"aud": `[["x"]]`}), false},
		{"aud true", h, claimsText(map[string]string{"aud": "true"}), false},
		{"aud object", h, claimsText(map[string]string{"aud": "{}"}), false},
		{"extras of every type", h, claimsText(nil,
			`"n":1`, `"neg":-0`, `"f":1.5`, `"e":1e2`, `"w":2.0`, `"big":9007199254740993`, `"huge":18446744073709551616`,
			`"inf":1e400`, `"tiny":1e-400`, `"s":"x\"y"`, `"t":true`, `"nil":null`, `"arr":[]`, `"obj":{}`,
			`"nested":{"a":[1,"x",{"b":null}],"a":{"c":2.5}}`, `"":"empty name"`, `"\u00e9":"é"`, "\"\xff\":\"\xfe\""), true},
		{"extra nested 9999 deep", h, claimsText(nil, `"x":`+deep("[", "", "]", 9998)), true},
		{"extra nested 10000 deep", h, claimsText(nil, `"x":`+deep("[", "", "]", 9999)), true},
		{"extra nested 10001 deep", h, claimsText(nil, `"x":`+deep("[", "", "]", 10000)), false},
		{"extra objects nested 10000 deep", h, claimsText(nil, `"x":`+deep(`{"a":`, "1", "}", 9999)), true},
		{"extra objects nested 10001 deep", h, claimsText(nil, `"x":`+deep(`{"a":`, "1", "}", 10000)), false},
		{"reserved claim nested 10001 deep", h, claimsText(map[string]string{"aud": deep("[", "", "]", 10000)}), false},
		{"reserved claim nested 10000 deep", h, claimsText(map[string]string{"jti": deep("[", "", "]", 9999)}), false},
		{"unread reserved claim nested 10001 deep", h, claimsText(nil, `"\u0073ub":`+deep("[", "", "]", 10000)), false},
		{"extra with a bad value", h, claimsText(nil, `"x":[1,]`), false},
		{"extra with a bad nested value", h, claimsText(nil, `"x":{"a":tru}`), false},
		{"extra with a missing colon", h, claimsText(nil, `"x" 1`), false},
		{"missing comma", h, `{"sub":"ann@example.com" "is_admin":false}`, false},
		{"leading comma", h, `{,"sub":"ann@example.com"}`, false},
		{"unquoted name", h, `{sub:"ann@example.com"}`, false},
	}
	c := newCodec(t, jwtcodec.WithMaxTokenBytes(1<<20))
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			tok := signJSON("HS256", tt.header, tt.claims)
			if got := sameAsReference(t, c, tok, now); got != tt.ok {
				t.Fatalf("accepted = %v, want %v", got, tt.ok)
			}
		})
	}
	// Times beyond what a float64 or an int64 of seconds holds: golang-jwt
	// converts them with Go's float-to-integer conversion, whose result
	// depends on the processor, so only agreement is checked.
	for _, v := range []string{"1e300", "-1e300", "1e999", "-1e999", "9223372036854775807", "-9223372036854775809", "1e19", "-1e19", "9.3e18"} {
		for _, claim := range []string{"exp", "iat", "nbf"} {
			t.Run("agree on "+claim+" "+v, func(t *testing.T) {
				sameAsReference(t, c, signJSON("HS256", h, claimsText(map[string]string{claim: v})), now)
			})
		}
	}
}

// gen builds random tokens for the differential tests: JSON texts made of
// good and bad values of every claim, in random order, repeated, with
// random white space, trailing data and, sometimes, random edits.
type gen struct{ r *rand.Rand }

func (g gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g gen) chance(p float64) bool { return g.r.Float64() < p }

// val returns good mostly, otherwise any of all.
func (g gen) val(good string, all []string) string {
	if g.chance(0.85) {
		return good
	}
	return g.pick(all)
}

var (
	genSpace    = []string{"", "", "", " ", "\n", "\t", "\r\n "}
	genSub      = []string{`"ann@example.com"`, `"ann@example.com"`, `""`, `42`, `null`, `["a"]`, `"\u0061nn"`, `"zo\u00eb"`, `"\ud800"`, `"a\"b"`, "\"\xff\"", `"é"`, `{"x":1}`, `true`}
	genBool     = []string{`true`, `false`, `false`, `"true"`, `1`, `0`, `null`, `[]`}
	genVer      = []string{`0`, `3`, `3`, `-0`, `-1`, `1.5`, `1e2`, `1E2`, `3.0`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `"3"`, `null`, `true`, `00`, `1.`}
	genOddTimes = []string{`0`, `-1`, `1e300`, `1e999`, `-1e999`, `1e-400`, `0.5`, `-0.5`, `"1700000000"`, `null`, `true`, `[]`, `{}`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775809`, `1.7e9`, `17e8`, `-0`, `253402300799`, `253402300800`}
	genFrac     = []string{"", "", "", ".0", ".5", ".999999999", ".0000000001", ".4999999999", "e0", ".5e0"}
	genIss      = []string{`"` + diffIssuer + `"`, `""`, `7`, `null`, `["x"]`, `"HTTPS://AUTH.EXAMPLE.COM"`, `"https:\/\/auth.example.com"`, `"other"`}
	genAud      = []string{`"` + diffAudience + `"`, `["other","` + diffAudience + `"]`, `[]`, `[""]`, `""`, `["` + diffAudience + `",1]`, `7`, `null`, `{"a":1}`, `[null]`, `["a","b"]`, `"admin\u002dapi"`, `["", "admin-api"]`}
	genJTI      = []string{`"t-1"`, `""`, `7`, `null`, `[]`, `"\u0000"`}
	genKeys     = []string{`"company_id"`, `"role"`, `"x"`, `"nested"`, `"SUB"`, `"Sub"`, `"s\u0075b"`, `"\u0065xp"`, `"\u00e9"`, `"a\u0000b"`, `""`, `"is_admin "`, "\"\xff\"", `"n\ud800"`}
	genExtra    = []string{`1`, `-0`, `1.5`, `1e2`, `2.0`, `9007199254740993`, `18446744073709551616`, `-9223372036854775809`, `1e400`, `-1e400`, `1e-400`, `"owner"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\udc00\ud800"`, "\"\xff\xfe\"", `null`, `true`, `false`, `[]`, `{}`, `[1,"x",[2,{"y":null}]]`, `{"a":{"a":1},"a":2}`, `{"id":9007199254740993}`, `[1e400]`, `"\\\/\b\f\n\r\t"`}
	genTrailer  = []string{"", "", "", " ", "garbage", "}", "{", "\x00", ",{}", "\xff", "]"}
	genAlgs     = []string{`"HS256"`, `"HS384"`, `"HS512"`, `"none"`, `"hs256"`, `"HS\u0032\u00356"`, `256`, `null`, `["HS256"]`, `"HS256 "`, `"RS256"`}
	genAlgKeys  = []string{`"alg"`, `"alg"`, `"alg"`, `"\u0061lg"`, `"ALG"`, `"alg "`}
	genHeadVals = []string{`"JWT"`, `1`, `null`, `{}`, `1e400`, `1e308`, `-0`, `"\ud800"`, `[1,[2,[3]]]`, `{"n":1e309}`, `123456789012345678901234567890`, `[1e-400]`, `true`}
	genHeadKeys = []string{`"typ"`, `"kid"`, `"cty"`, `"b64"`, `"crit"`, `"\u0063rit"`, `"CRIT"`, `"x"`}
	genMutation = []string{"{", "}", "[", "]", `"`, ",", ":", `\`, " ", "0", "1", "9", "e", "E", ".", "-", "+", "t", "n", "u", "l", "a", "\x00", "\x1f", "\x7f", "\xff", "\xc3", "\xed\xa0\x80", "/", "x"}
)

// time returns a time claim value: mostly a number of seconds near now or
// near the edges of the leeways, in various notations.
func (g gen) time(around int64) string {
	if g.chance(0.6) {
		return strconv.FormatInt(around, 10)
	}
	if g.chance(0.15) {
		return g.pick(genOddTimes)
	}
	bases := []int64{around, now.Unix() - 3600, now.Unix() + 3600, now.Unix() - 60, now.Unix()}
	leeways := []int64{0, 1, 2, 5, 30}
	v := bases[g.r.IntN(len(bases))]
	if g.chance(0.6) {
		v = now.Unix() + int64(g.r.IntN(3)-1)*leeways[g.r.IntN(len(leeways))] + int64(g.r.IntN(3)-1)
	}
	s := strconv.FormatInt(v, 10)
	if g.chance(0.1) {
		return strconv.FormatFloat(float64(v), 'e', -1, 64)
	}
	return s + g.pick(genFrac)
}

// members returns the JSON members of a payload.
func (g gen) members() []string {
	var m []string
	add := func(name, val string, p float64) {
		if g.chance(p) {
			m = append(m, `"`+name+`"`+g.pick(genSpace)+":"+g.pick(genSpace)+val)
		}
	}
	add("sub", g.val(genSub[0], genSub), 0.98)
	add("is_admin", g.val(g.pick(genBool[:2]), genBool), 0.98)
	add("ver", g.val(genVer[1], genVer), 0.98)
	add("iat", g.time(now.Unix()-60), 0.98)
	add("exp", g.time(now.Unix()+3600), 0.98)
	add("nbf", g.time(now.Unix()-60), 0.2)
	add("iss", g.val(genIss[0], genIss), 0.4)
	add("aud", g.val(g.pick(genAud[:2]), genAud), 0.4)
	add("jti", g.val(genJTI[0], genJTI), 0.15)
	for n := g.r.IntN(4); n > 0; n-- {
		m = append(m, g.pick(genKeys)+":"+g.pick(genSpace)+g.pick(genExtra))
	}
	g.r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	if len(m) > 0 && g.chance(0.2) { // a repeated member
		m = append(m, m[g.r.IntN(len(m))])
	}
	return m
}

// object joins members into a JSON object text with random white space and
// trailer.
func (g gen) object(members []string, trailer string) string {
	var b strings.Builder
	b.WriteString(g.pick(genSpace) + "{" + g.pick(genSpace))
	for i, m := range members {
		if i > 0 {
			b.WriteString(g.pick(genSpace) + "," + g.pick(genSpace))
		}
		b.WriteString(m)
	}
	b.WriteString(g.pick(genSpace) + "}" + trailer)
	return b.String()
}

func (g gen) payload() string { return g.mutate(g.object(g.members(), g.pick(genTrailer))) }

func (g gen) header(alg string) string {
	var m []string
	if g.chance(0.97) {
		a := `"` + alg + `"`
		if g.chance(0.1) {
			a = g.pick(genAlgs)
		}
		m = append(m, g.pick(genAlgKeys)+":"+a)
	}
	for n := g.r.IntN(3); n > 0 && g.chance(0.5); n-- {
		m = append(m, g.pick(genHeadKeys)+":"+g.pick(genHeadVals))
	}
	if g.chance(0.8) {
		m = append(m, `"typ":"JWT"`)
	}
	g.r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	if len(m) > 0 && g.chance(0.1) {
		m = append(m, m[g.r.IntN(len(m))])
	}
	trailer := ""
	if g.chance(0.1) {
		trailer = g.pick(genTrailer)
	}
	return g.mutate(g.object(m, trailer))
}

// mutate makes, sometimes, a few random edits to s.
func (g gen) mutate(s string) string {
	if !g.chance(0.15) {
		return s
	}
	for n := 1 + g.r.IntN(3); n > 0; n-- {
		i := g.r.IntN(len(s) + 1)
		switch g.r.IntN(4) {
		case 0: // insert
			s = s[:i] + g.pick(genMutation) + s[i:]
		case 1: // delete
			if i < len(s) {
				s = s[:i] + s[i+1:]
			}
		case 2: // replace
			if i < len(s) {
				s = s[:i] + g.pick(genMutation) + s[i+1:]
			}
		case 3: // cut
			s = s[:i]
		}
	}
	return s
}

// mutateToken makes a few random edits to a token, which mostly break the
// signature or the structure.
func (g gen) mutateToken(tok string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	for n := 1 + g.r.IntN(2); n > 0; n-- {
		i := g.r.IntN(len(tok) + 1)
		c := string(alphabet[g.r.IntN(len(alphabet))])
		switch g.r.IntN(4) {
		case 0:
			tok = tok[:i] + c + tok[i:]
		case 1:
			if i < len(tok) {
				tok = tok[:i] + tok[i+1:]
			}
		case 2:
			if i < len(tok) {
				tok = tok[:i] + c + tok[i+1:]
			}
		case 3:
			tok = tok[:i]
		}
	}
	return tok
}

func TestDifferentialGenerated(t *testing.T) {
	n := 30000
	if testing.Short() {
		n = 3000
	}
	codecs := diffCodecs(t)
	g := gen{rand.New(rand.NewPCG(1, 2))}
	accepted := 0
	for range n {
		ci := g.r.IntN(len(codecs))
		c := codecs[ci]
		alg := c.Algorithm()
		if g.chance(0.05) {
			alg = g.pick([]string{"HS256", "HS384", "HS512"})
		}
		tok := signJSON(alg, g.header(alg), g.payload())
		if g.chance(0.05) {
			tok = g.mutateToken(tok)
		}
		at := diffNows[g.r.IntN(len(diffNows))]
		if sameAsReference(t, c, tok, at) {
			accepted++
		}
	}
	// The generator must make both kinds, or it tests little.
	if accepted < n/20 || accepted > n*9/10 {
		t.Fatalf("%d of %d generated tokens accepted: the generator is off", accepted, n)
	}
	t.Logf("%d of %d generated tokens accepted by both", accepted, n)
}

// FuzzDecodeDifferential checks that Decode and ReferenceDecode agree on
// three tokens per input: token as given, claimsJSON signed under the
// standard header, and claimsJSON signed under headerJSON; each with a
// default codec and with one configured with an issuer, an audience and no
// leeway. Its seeds include FuzzDecode's corpus.
func FuzzDecodeDifferential(f *testing.F) {
	for _, in := range fuzzCorpus(f) {
		f.Add(in[0], in[1], stdHeader("HS256"))
	}
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for range 50 {
		f.Add(signJSON("HS256", g.header("HS256"), g.payload()), g.payload(), g.header("HS256"))
	}
	f.Add("", claimsText(map[string]string{"iss": `"` + diffIssuer + `"`, "aud": `"` + diffAudience + `"`}), `{"alg":"HS256","crit":null}`)
	plain := newCodec(f)
	strict := newCodec(f, jwtcodec.WithIssuer(diffIssuer), jwtcodec.WithAudience(diffAudience), jwtcodec.WithLeeway(-1))
	std := stdHeader("HS256")
	f.Fuzz(func(t *testing.T, token, claimsJSON, headerJSON string) {
		for _, tok := range []string{
			token,
			signJSON("HS256", std, claimsJSON),
			signJSON("HS256", headerJSON, claimsJSON),
		} {
			sameAsReference(t, plain, tok, now)
			sameAsReference(t, strict, tok, now)
		}
	})
}

// TestDifferentialLargeTokens decodes tokens far larger than the pooled
// buffers are kept for, between small ones, so that buffers are grown,
// dropped and reused.
func TestDifferentialLargeTokens(t *testing.T) {
	c := newCodec(t, jwtcodec.WithMaxTokenBytes(1<<20))
	small := signJSON("HS256", stdHeader("HS256"), claimsText(nil, `"role":"owner"`))
	for _, n := range []int{10, 50 << 10, 300 << 10, 700 << 10, 100} {
		big := signJSON("HS256", stdHeader("HS256"), claimsText(nil, `"blob":"`+strings.Repeat("x", n)+`"`))
		h, p, _ := parts(t, big)
		for _, tok := range []string{big, small, sign("HS256", otherKey, h, p), big[:len(big)-1], small} {
			sameAsReference(t, c, tok, now)
		}
		got, err := c.Decode(bg, big, now)
		if err != nil || len(got.Extra["blob"].(string)) != n {
			t.Fatalf("blob of %d bytes: %v, %d bytes back", n, err, len(got.Extra["blob"].(string)))
		}
	}
}

// TestDecodeResultsOwnTheirMemory checks that claims returned by Decode do
// not share memory with the buffers the next Decode reuses.
func TestDecodeResultsOwnTheirMemory(t *testing.T) {
	c := newCodec(t)
	text := func(who string) string {
		return claimsText(map[string]string{"sub": `"` + who + `@example.com"`, "jti": `"` + who + `"`, "aud": `["` + who + `"]`},
			`"role":"`+who+`"`, `"n":1`+strings.Repeat("0", len(who)), `"big":1`+strings.Repeat("0", 30), `"m":{"k":["`+who+`"]}`)
	}
	first, err := c.Decode(bg, signJSON("HS256", stdHeader("HS256"), text("aaaa")), now)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := jwtcodec.ReferenceDecode(c, signJSON("HS256", stdHeader("HS256"), text("aaaa")), now)
	for range 10 {
		if _, err := c.Decode(bg, signJSON("HS256", stdHeader("HS256"), text("zzzz")), now); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("claims changed after later decodes:\n%#v\nwant\n%#v", first, want)
	}
}
