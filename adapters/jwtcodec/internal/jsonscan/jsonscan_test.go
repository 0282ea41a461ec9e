package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/authadmin/authadmin/adapters/jwtcodec/internal/jsonscan"
)

// deep nests mid in n open and close strings.
func deep(open, mid, close string, n int) string {
	return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
}

// texts are JSON texts, valid and not, that probe the grammar.
var texts = []string{
	// Literals and numbers.
	`true`, `false`, `null`, `tru`, `nul`, `True`, `nulll`,
	`0`, `-0`, `1`, `-1`, `01`, `-`, `1.`, `.5`, `1.5`, `1e2`, `1E+2`, `1e-2`, `1e`, `1e+`, `+1`,
	`123456789012345678901234567890`, `1e400`, `-1e400`, `1e-400`, `1.7976931348623157e308`, `1.7976931348623159e308`,
	// Strings.
	`""`, `"a"`, `"a`, `"\""`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u0041"`, `"\u00e9"`, `"\u12"`, `"\u12g4"`,
	`"\q"`, `"\'"`, "\"\x01\"", "\"\x7f\"", `"é"`, "\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"",
	`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`, `"\udc00\ud800"`, `"\ud83dx"`, `"\ud83d\u0041"`,
	// Arrays and objects.
	`[]`, `[ ]`, `[1,2]`, `[1,]`, `[,1]`, `[1 2]`, `[`, `]`, `[[]]`, `[{}]`,
	`{}`, `{ }`, `{"a":1}`, `{"a":1,}`, `{,"a":1}`, `{"a" 1}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":1,"a":2}`,
	`{"a":{"b":[1,"x",null,true,{"c":-0.5e3}]}}`, `{"":""}`, "{\"\xff\":1}",
	// White space and trailing data.
	" \t\r\n1 \t\r\n", "\v1", "\u00a01", `1 2`, `{}}`, `[]]`, `{} x`, ``, ` `,
	// Nesting at encoding/json's limit and beyond it.
	deep("[", "", "]", 10000), deep("[", "", "]", 10001),
	deep(`{"a":`, "1", "}", 10000), deep(`{"a":`, "1", "}", 10001),
	deep("[", "", "]", 9999) + "x",
}

// whole reports whether b is one JSON value with white space around it,
// as SkipValue reads it.
func whole(b []byte, floats bool) bool {
	end, ok := jsonscan.SkipValue(b, jsonscan.SkipSpace(b, 0), 0, floats)
	return ok && jsonscan.SkipSpace(b, end) == len(b)
}

// fitsFloats reports whether encoding/json decodes b into an interface
// without UseNumber, which refuses numbers beyond float64.
func fitsFloats(b []byte) bool {
	var v any
	return json.Unmarshal(b, &v) == nil
}

// decodeNumbers decodes b as encoding/json does into an interface with
// UseNumber.
func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func TestSkipValueMatchesEncodingJSON(t *testing.T) {
	for _, text := range texts {
		b := []byte(text)
		if got, want := whole(b, false), json.Valid(b); got != want {
			t.Errorf("%.60q: SkipValue accepts = %v, json.Valid = %v", text, got, want)
		}
		if got, want := whole(b, true), fitsFloats(b); got != want {
			t.Errorf("%.60q: SkipValue with floats accepts = %v, json.Unmarshal = %v", text, got, want)
		}
	}
}

func TestParseValueMatchesEncodingJSON(t *testing.T) {
	for _, text := range texts {
		b := []byte(text)
		if !json.Valid(b) {
			continue
		}
		got, end, ok := jsonscan.ParseValue(b, jsonscan.SkipSpace(b, 0), 0)
		if !ok || jsonscan.SkipSpace(b, end) != len(b) {
			t.Errorf("%.60q: ParseValue refused a valid text", text)
			continue
		}
		want, err := decodeNumbers(b)
		if err != nil {
			t.Fatalf("%.60q: encoding/json: %v", text, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%.60q: ParseValue = %#v, encoding/json = %#v", text, got, want)
		}
	}
}

func TestStringValue(t *testing.T) {
	tests := []struct {
		name  string
		lit   string
		plain bool
	}{
		{"ASCII", `"abc"`, true},
		{"empty", `""`, true},
		{"escaped quote", `"a\"b"`, false},
		{"every short escape", `"\"\\\/\b\f\n\r\t"`, false},
		{"unicode escape", `"\u00e9"`, false},
		{"non-ASCII", `"zoë"`, false},
		{"invalid UTF-8", "\"a\xffb\"", false},
		{"truncated UTF-8", "\"a\xc3\"", false},
		{"encoded surrogate", "\"\xed\xa0\x80\"", false},
		{"surrogate pair", `"\ud83d\ude00"`, false},
		{"lone high surrogate", `"\ud83dx"`, false},
		{"lone low surrogate", `"\ude00"`, false},
		{"high surrogate then a non-surrogate escape", `"\ud83d\u0041"`, false},
		{"reversed pair", `"\udc00\ud800"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(" " + tt.lit + " ")
			end, plain, ok := jsonscan.String(b, 1)
			if !ok || end != len(b)-1 {
				t.Fatalf("String = %d, %v; want %d, true", end, ok, len(b)-1)
			}
			if plain != tt.plain {
				t.Errorf("plain = %v, want %v", plain, tt.plain)
			}
			var want string
			if err := json.Unmarshal([]byte(tt.lit), &want); err != nil {
				t.Fatal(err)
			}
			if got := jsonscan.StringValue(b, 1, end, plain); string(got) != want {
				t.Errorf("StringValue = %q, encoding/json = %q", got, want)
			}
			if got := jsonscan.Unquote(b[2 : end-1]); string(got) != want {
				t.Errorf("Unquote = %q, encoding/json = %q", got, want)
			}
		})
	}
}

func TestUnquoteReturnsItsInput(t *testing.T) {
	s := []byte("plain text, é included")
	if got := jsonscan.Unquote(s); &got[0] != &s[0] || len(got) != len(s) {
		t.Fatalf("Unquote copied a value that needs no change")
	}
}

func TestNextMember(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		closing byte
		end     int
		ok      bool
	}{
		{"closing", `}`, '}', 1, true},
		{"space then closing", " \n]", ']', 3, true},
		{"comma", `,"b"`, '}', 1, true},
		{"comma then space", ", \t1", ']', 3, true},
		{"trailing comma stops at the closing byte", `,}`, '}', 1, true},
		{"other closing byte", `]`, '}', 0, false},
		{"end of text", `  `, '}', 0, false},
		{"anything else", `:`, '}', 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, ok := jsonscan.NextMember([]byte(tt.text), 0, tt.closing)
			if end != tt.end || ok != tt.ok {
				t.Fatalf("NextMember = %d, %v; want %d, %v", end, ok, tt.end, tt.ok)
			}
		})
	}
}

func TestMaxDepth(t *testing.T) {
	// A value inside depth open containers may open MaxDepth-depth more.
	for _, depth := range []int{0, 1, 5000} {
		ok := []byte(deep("[", "", "]", jsonscan.MaxDepth-depth))
		over := []byte(deep("[", "", "]", jsonscan.MaxDepth-depth+1))
		if _, accepted := jsonscan.SkipValue(ok, 0, depth, false); !accepted {
			t.Errorf("depth %d: SkipValue refused %d more levels", depth, jsonscan.MaxDepth-depth)
		}
		if _, accepted := jsonscan.SkipValue(over, 0, depth, false); accepted {
			t.Errorf("depth %d: SkipValue accepted %d more levels", depth, jsonscan.MaxDepth-depth+1)
		}
		if _, _, accepted := jsonscan.ParseValue(ok, 0, depth); !accepted {
			t.Errorf("depth %d: ParseValue refused %d more levels", depth, jsonscan.MaxDepth-depth)
		}
		if _, _, accepted := jsonscan.ParseValue(over, 0, depth); accepted {
			t.Errorf("depth %d: ParseValue accepted %d more levels", depth, jsonscan.MaxDepth-depth+1)
		}
	}
}

func TestIndexPastTheEnd(t *testing.T) {
	b := []byte(`{"a":1}`)
	for i := len(b); i <= len(b)+2; i++ {
		if got := jsonscan.SkipSpace(b, i); got != i {
			t.Errorf("SkipSpace(%d) = %d", i, got)
		}
		if _, _, ok := jsonscan.String(b, i); ok {
			t.Errorf("String(%d) ok", i)
		}
		if _, ok := jsonscan.Number(b, i); ok {
			t.Errorf("Number(%d) ok", i)
		}
		if _, ok := jsonscan.Literal(b, i, "null"); ok {
			t.Errorf("Literal(%d) ok", i)
		}
		if _, ok := jsonscan.SkipValue(b, i, 0, true); ok {
			t.Errorf("SkipValue(%d) ok", i)
		}
		if _, _, ok := jsonscan.ParseValue(b, i, 0); ok {
			t.Errorf("ParseValue(%d) ok", i)
		}
		if _, ok := jsonscan.NextMember(b, i, '}'); ok {
			t.Errorf("NextMember(%d) ok", i)
		}
	}
}

// FuzzScan holds SkipValue and ParseValue to encoding/json on any text:
// the same texts accepted, the same values built, and no panic.
func FuzzScan(f *testing.F) {
	for _, text := range texts {
		if len(text) < 1000 {
			f.Add(text)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		b := []byte(text)
		valid := json.Valid(b)
		if got := whole(b, false); got != valid {
			t.Fatalf("%q: SkipValue accepts = %v, json.Valid = %v", text, got, valid)
		}
		if got, want := whole(b, true), fitsFloats(b); got != want {
			t.Fatalf("%q: SkipValue with floats accepts = %v, json.Unmarshal = %v", text, got, want)
		}
		got, end, ok := jsonscan.ParseValue(b, jsonscan.SkipSpace(b, 0), 0)
		ok = ok && jsonscan.SkipSpace(b, end) == len(b)
		if ok != valid {
			t.Fatalf("%q: ParseValue accepts = %v, json.Valid = %v", text, ok, valid)
		}
		if !valid {
			return
		}
		want, err := decodeNumbers(b)
		if err != nil {
			t.Fatalf("%q: encoding/json: %v", text, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: ParseValue = %#v, encoding/json = %#v", text, got, want)
		}
	})
}
