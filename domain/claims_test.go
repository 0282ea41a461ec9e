package domain_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/authadmin/authadmin/domain"
)

func TestCheckExtraClaims(t *testing.T) {
	for _, name := range []string{"sub", "exp", "iat", "nbf", "iss", "aud", "jti", "is_admin", "ver"} {
		err := domain.CheckExtraClaims(map[string]any{"company_id": 1, name: "x"})
		if !errors.Is(err, domain.ErrReservedClaim) {
			t.Errorf("extra claim %q: err = %v, want ErrReservedClaim", name, err)
		}
	}
	if err := domain.CheckExtraClaims(map[string]any{"company_id": 42, "role": "manager"}); err != nil {
		t.Errorf("ordinary extra claims refused: %v", err)
	}
	if err := domain.CheckExtraClaims(nil); err != nil {
		t.Errorf("nil extra claims refused: %v", err)
	}
}

func TestClaimsGetters(t *testing.T) {
	c := domain.Claims{Extra: map[string]any{
		"i64": int64(9007199254740993), "int": 42, "num": json.Number("7"),
		"big": uint64(1 << 63), "str": "manager", "float": 1.5,
	}}
	tests := []struct {
		key  string
		want int64
		ok   bool
	}{
		{"i64", 9007199254740993, true}, {"int", 42, true}, {"num", 7, true},
		{"big", 0, false}, {"str", 0, false}, {"float", 0, false}, {"missing", 0, false},
	}
	for _, tt := range tests {
		if got, ok := c.Int64Claim(tt.key); got != tt.want || ok != tt.ok {
			t.Errorf("Int64Claim(%q) = %d, %v; want %d, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if s, ok := c.StringClaim("str"); !ok || s != "manager" {
		t.Errorf("StringClaim(str) = %q, %v", s, ok)
	}
	if _, ok := c.StringClaim("int"); ok {
		t.Error("StringClaim(int) reported a string")
	}
	if v, ok := c.Claim("float"); !ok || v != 1.5 {
		t.Errorf("Claim(float) = %v, %v", v, ok)
	}
}

func TestClaimsMap(t *testing.T) {
	iat := time.Unix(1_800_000_000, 0)
	c := domain.Claims{
		Subject: "ann@example.com", IsAdmin: true, TokenVersion: 3,
		IssuedAt: iat, ExpiresAt: iat.Add(30 * time.Minute),
		Extra: map[string]any{"company_id": int64(9007199254740993)},
	}
	b, err := json.Marshal(c.Map())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"company_id":9007199254740993,"exp":1800001800,"iat":1800000000,"is_admin":true,"sub":"ann@example.com","ver":3}`
	if string(b) != want {
		t.Fatalf("Map marshals to\n%s\nwant\n%s", b, want)
	}
	c.Map()["company_id"] = 1
	if v, _ := c.Int64Claim("company_id"); v != 9007199254740993 {
		t.Fatal("Map shares the Extra map")
	}

	c.Issuer, c.Audience, c.ID, c.NotBefore = "https://auth.example.com", []string{"orders"}, "t-1", iat
	m := c.Map()
	if m["iss"] != "https://auth.example.com" || m["aud"] != "orders" || m["jti"] != "t-1" || m["nbf"] != iat.Unix() {
		t.Fatalf("optional registered claims missing from Map: %v", m)
	}
	c.Audience = []string{"a", "b"}
	if aud, ok := c.Map()["aud"].([]string); !ok || len(aud) != 2 {
		t.Fatalf("two audiences: aud = %#v", c.Map()["aud"])
	}
}

func TestNormalizeClaimValue(t *testing.T) {
	dec := json.NewDecoder(bytes.NewReader([]byte(
		`{"id":9007199254740993,"neg":-5,"f":1.5,"e":1e3,"huge":18446744073709551616,"nested":{"n":[1,2.5,{"k":3}]},"s":"x","b":true,"nil":null}`)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	got := domain.NormalizeClaimValue(m).(map[string]any)
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"id", got["id"], int64(9007199254740993)},
		{"neg", got["neg"], int64(-5)},
		{"f", got["f"], 1.5},
		{"e", got["e"], 1000.0},
		{"huge", got["huge"], json.Number("18446744073709551616")},
		{"nested int", got["nested"].(map[string]any)["n"].([]any)[0], int64(1)},
		{"nested float", got["nested"].(map[string]any)["n"].([]any)[1], 2.5},
		{"deep", got["nested"].(map[string]any)["n"].([]any)[2].(map[string]any)["k"], int64(3)},
		{"s", got["s"], "x"},
		{"b", got["b"], true},
		{"nil", got["nil"], nil},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v (%T), want %#v (%T)", c.name, c.got, c.got, c.want, c.want)
		}
	}
}

func TestStatus(t *testing.T) {
	for _, s := range []string{"pending", "approved", "rejected"} {
		if st, err := domain.ParseStatus(s); err != nil || string(st) != s || !st.Valid() {
			t.Errorf("ParseStatus(%q) = %q, %v", s, st, err)
		}
	}
	for _, s := range []string{"", "Approved", "deleted"} {
		if _, err := domain.ParseStatus(s); err == nil {
			t.Errorf("ParseStatus(%q) accepted", s)
		}
	}
	if !(domain.User{Status: domain.StatusApproved}).IsApproved() || (domain.User{Status: domain.StatusPending}).IsApproved() {
		t.Error("IsApproved wrong")
	}
}
