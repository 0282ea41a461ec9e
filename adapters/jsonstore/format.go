package jsonstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authadmin/authadmin/domain"
)

// The document header. A file whose "format" differs is not a user file; a
// "version" above formatVersion was written by a newer release.
const (
	formatName    = "authadmin-users"
	formatVersion = 1
)

// timeLayout is RFC 3339 with exactly nine fractional digits, so that times
// line up and re-encode to the same bytes.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// document is the file's top-level object.
type document struct {
	Format  string   `json:"format"`
	Version int      `json:"version"`
	Users   []record `json:"users"`
}

// record is one user in the file. Every field is required on reading.
type record struct {
	Email              string `json:"email"`
	PasswordHash       string `json:"password_hash"`
	IsAdmin            bool   `json:"is_admin"`
	Status             string `json:"status"`
	MustChangePassword bool   `json:"must_change_password"`
	CreatedAt          string `json:"created_at"`
	UpdatedAt          string `json:"updated_at"`
	TokenVersion       int64  `json:"token_version"`
	Revision           int64  `json:"revision"`
}

// recordFields lists record's JSON names, the fields every user must have.
var recordFields = []string{
	"email", "password_hash", "is_admin", "status", "must_change_password",
	"created_at", "updated_at", "token_version", "revision",
}

// canonical returns u as the store keeps it: the email in its EmailKey form,
// times in UTC without a monotonic reading. It refuses a user the file
// format cannot represent faithfully; such errors match domain.ErrValidation.
func canonical(u domain.User) (domain.User, error) {
	u.Email = domain.EmailKey(u.Email)
	u.CreatedAt = u.CreatedAt.UTC().Round(0)
	u.UpdatedAt = u.UpdatedAt.UTC().Round(0)
	if u.Email == "" {
		return u, fmt.Errorf("%w: empty", domain.ErrInvalidEmail)
	}
	if !utf8.ValidString(u.Email) || domain.EmailKey(u.Email) != u.Email {
		return u, fmt.Errorf("%w: %q cannot be stored", domain.ErrInvalidEmail, u.Email)
	}
	if !utf8.ValidString(u.PasswordHash) {
		// Never quote the hash in an error.
		return u, fmt.Errorf("user %q: password hash is not valid UTF-8: %w", u.Email, domain.ErrValidation)
	}
	if !u.Status.Valid() {
		return u, fmt.Errorf("user %q: unknown status %q: %w", u.Email, u.Status, domain.ErrValidation)
	}
	for name, t := range map[string]time.Time{"created_at": u.CreatedAt, "updated_at": u.UpdatedAt} {
		if y := t.Year(); y < 0 || y > 9999 {
			return u, fmt.Errorf("user %q: %s year %d outside 0..9999: %w", u.Email, name, y, domain.ErrValidation)
		}
	}
	return u, nil
}

// encode returns the file content for users: the header, then the users
// sorted by email, indented, with a final newline.
func encode(users map[string]domain.User) ([]byte, error) {
	doc := document{Format: formatName, Version: formatVersion, Users: make([]record, 0, len(users))}
	for _, u := range users {
		doc.Users = append(doc.Users, record{
			Email:              u.Email,
			PasswordHash:       u.PasswordHash,
			IsAdmin:            u.IsAdmin,
			Status:             string(u.Status),
			MustChangePassword: u.MustChangePassword,
			CreatedAt:          u.CreatedAt.UTC().Format(timeLayout),
			UpdatedAt:          u.UpdatedAt.UTC().Format(timeLayout),
			TokenVersion:       u.TokenVersion,
			Revision:           u.Revision,
		})
	}
	slices.SortFunc(doc.Users, func(a, b record) int { return strings.Compare(a.Email, b.Email) })
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return buf.Bytes(), nil
}

// decode parses and checks a file's content. Its errors describe the
// problem without the path, never quote a password hash, and are never nil
// for content that is not a complete, valid user file.
func decode(data []byte) (map[string]domain.User, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("file is empty (a user file holds at least its header)")
	}
	if !utf8.Valid(data) {
		n := 0
		for n < len(data) {
			r, size := utf8.DecodeRune(data[n:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			n += size
		}
		return nil, fmt.Errorf("not valid UTF-8 at byte %d", n)
	}
	if err := checkStructure(data); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return nil, errors.New("the document is not a JSON object")
	}
	var format string
	if raw, ok := top["format"]; !ok {
		return nil, fmt.Errorf("no \"format\" field: not an %s file", formatName)
	} else if err := json.Unmarshal(raw, &format); err != nil || format != formatName {
		return nil, fmt.Errorf("\"format\" is %s, want %q: not an %s file", snippet(raw), formatName, formatName)
	}
	var version int
	if raw, ok := top["version"]; !ok {
		return nil, errors.New("no \"version\" field")
	} else if err := json.Unmarshal(raw, &version); err != nil {
		return nil, fmt.Errorf("\"version\" is %s, want an integer", snippet(raw))
	}
	switch {
	case version > formatVersion:
		return nil, fmt.Errorf("format version %d is newer than this release reads (%d): %w", version, formatVersion, errNewerFormat)
	case version != formatVersion:
		return nil, fmt.Errorf("unsupported format version %d (want %d)", version, formatVersion)
	}
	for k := range top {
		if k != "format" && k != "version" && k != "users" {
			return nil, fmt.Errorf("unknown top-level field %q", k)
		}
	}
	rawUsers, ok := top["users"]
	if !ok {
		return nil, errors.New("no \"users\" field")
	}
	var list []json.RawMessage
	if err := json.Unmarshal(rawUsers, &list); err != nil || list == nil {
		return nil, errors.New("\"users\" is not an array")
	}
	users := make(map[string]domain.User, len(list))
	index := make(map[string]int, len(list))
	for i, raw := range list {
		u, err := decodeUser(raw)
		if err != nil {
			return nil, fmt.Errorf("users[%d]: %w", i, err)
		}
		if j, dup := index[domain.EmailKey(u.Email)]; dup {
			return nil, fmt.Errorf("users[%d]: email %q is also users[%d] (emails are unique in any letter case)", i, u.Email, j)
		}
		if key := domain.EmailKey(u.Email); key != u.Email {
			return nil, fmt.Errorf("users[%d]: email %q is not in canonical form %q", i, u.Email, key)
		}
		index[u.Email] = i
		users[u.Email] = u
	}
	return users, nil
}

// decodeUser parses and checks one element of "users".
func decodeUser(raw json.RawMessage) (domain.User, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return domain.User{}, errors.New("not a JSON object")
	}
	for _, name := range recordFields {
		v, ok := fields[name]
		if !ok {
			return domain.User{}, fmt.Errorf("missing field %q", name)
		}
		if string(v) == "null" {
			return domain.User{}, fmt.Errorf("field %q is null", name)
		}
	}
	if len(fields) != len(recordFields) {
		for name := range fields {
			if !slices.Contains(recordFields, name) {
				return domain.User{}, fmt.Errorf("unknown field %q", name)
			}
		}
	}
	var r record
	if err := json.Unmarshal(raw, &r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// Name the field and the expected type only: the message of
			// te could quote the value.
			return domain.User{}, fmt.Errorf("field %q: want a JSON value of Go type %v", te.Field, te.Type)
		}
		return domain.User{}, err
	}
	u := domain.User{
		Email:              r.Email,
		PasswordHash:       r.PasswordHash,
		IsAdmin:            r.IsAdmin,
		Status:             domain.Status(r.Status),
		MustChangePassword: r.MustChangePassword,
		TokenVersion:       r.TokenVersion,
		Revision:           r.Revision,
	}
	if u.Email == "" {
		return u, errors.New("empty email")
	}
	if !u.Status.Valid() {
		return u, fmt.Errorf("user %q: unknown status %q", u.Email, r.Status)
	}
	if u.Revision < 1 {
		return u, fmt.Errorf("user %q: revision %d, want at least 1", u.Email, u.Revision)
	}
	var err error
	if u.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return u, fmt.Errorf("user %q: created_at: %w", u.Email, err)
	}
	if u.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return u, fmt.Errorf("user %q: updated_at: %w", u.Email, err)
	}
	return u, nil
}

// snippet returns raw for an error message, cut short if long.
func snippet(raw json.RawMessage) string {
	const most = 40
	if len(raw) <= most {
		return string(raw)
	}
	return string(bytes.ToValidUTF8(raw[:most], nil)) + "..."
}

// parseTime reads an RFC 3339 time (any fraction, any offset) as UTC.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not an RFC 3339 time", snippet(json.RawMessage(strconv.Quote(s))))
	}
	return t.UTC(), nil
}

// checkStructure walks the JSON tokens of data and reports invalid syntax,
// premature end (a truncated file), a key repeated within one object (which
// encoding/json would silently resolve by keeping the last value), and any
// data after the top-level value.
func checkStructure(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object    bool
		expectKey bool
		keys      map[string]bool
	}
	var stack []*frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].expectKey = true
		}
	}
	started := false
	for {
		if started && len(stack) == 0 {
			if _, err := dec.Token(); err != io.EOF {
				return fmt.Errorf("unexpected data after the JSON document at byte %d", dec.InputOffset())
			}
			return nil
		}
		tok, err := dec.Token()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("unexpected end of file at byte %d: the file is truncated", len(data))
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return fmt.Errorf("invalid JSON at byte %d: %v", se.Offset, se)
			}
			return fmt.Errorf("invalid JSON near byte %d: %v", dec.InputOffset(), err)
		}
		started = true
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].expectKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			key := tok.(string) // the decoder guarantees a string key here
			top := stack[n-1]
			if top.keys[key] {
				return fmt.Errorf("duplicate key %q in one object near byte %d", key, dec.InputOffset())
			}
			top.keys[key] = true
			top.expectKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, expectKey: true, keys: map[string]bool{}})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}
