package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/authadmin/authadmin/domain"
)

// Response is what an adapter writes back: status, headers and body.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers the route sets.
	Header Header
	// Body is the response body (nil for 204).
	Body []byte
}

// Header is the set of response headers the auth routes use.
type Header struct {
	ContentType           string // Content-Type
	CacheControl          string // Cache-Control
	Pragma                string // Pragma
	WWWAuthenticate       string // WWW-Authenticate
	RetryAfter            string // Retry-After
	Allow                 string // Allow
	ContentSecurityPolicy string // Content-Security-Policy
	FrameOptions          string // X-Frame-Options
}

// Each calls f for every header that is set, with its canonical name.
func (h Header) Each(f func(name, value string)) {
	for _, kv := range [...][2]string{
		{"Content-Type", h.ContentType},
		{"Cache-Control", h.CacheControl},
		{"Pragma", h.Pragma},
		{"Www-Authenticate", h.WWWAuthenticate},
		{"Retry-After", h.RetryAfter},
		{"Allow", h.Allow},
		{"Content-Security-Policy", h.ContentSecurityPolicy},
		{"X-Frame-Options", h.FrameOptions},
	} {
		if kv[1] != "" {
			f(kv[0], kv[1])
		}
	}
}

const (
	contentTypeJSON    = "application/json"
	contentTypeProblem = "application/problem+json"
)

// jsonResponse encodes v as a JSON response with the given status.
func jsonResponse(status int, v any) Response {
	body, err := json.Marshal(v)
	if err != nil {
		// Only the package's own DTOs get here; claims were checked
		// encodable when the token was made.
		return problem(http.StatusInternalServerError, internalDetail)
	}
	return Response{Status: status, Header: Header{ContentType: contentTypeJSON}, Body: body}
}

// problemDoc is an RFC 9457 problem document.
type problemDoc struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// problem returns a problem-document response.
func problem(status int, detail string) Response {
	body, _ := json.Marshal(problemDoc{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
	return Response{Status: status, Header: Header{ContentType: contentTypeProblem}, Body: body}
}

// unauthorized returns the 401 for a missing token or, if a token was
// sent, an invalid one.
func unauthorized(tokenSent bool) Response {
	if tokenSent {
		r := problem(http.StatusUnauthorized, "invalid or expired token")
		r.Header.WWWAuthenticate = `Bearer error="invalid_token"`
		return r
	}
	r := problem(http.StatusUnauthorized, "not authenticated")
	r.Header.WWWAuthenticate = "Bearer"
	return r
}

const internalDetail = "internal server error"

// errorStatus maps each domain error a route can meet to its status and
// the detail sent to the client. It is the one place where domain errors
// become HTTP statuses; the more specific validation errors come before
// domain.ErrValidation, which matches them all.
var errorStatus = []struct {
	err    error
	status int
	detail string
}{
	{domain.ErrInvalidEmail, http.StatusUnprocessableEntity, "invalid email address"},
	{domain.ErrPasswordRequired, http.StatusUnprocessableEntity, "password is required"},
	{domain.ErrPasswordTooShort, http.StatusUnprocessableEntity, "password is too short"},
	{domain.ErrPasswordTooLong, http.StatusUnprocessableEntity, "password is longer than 72 bytes"},
	{domain.ErrInvalidPage, http.StatusUnprocessableEntity, "limit must be between 1 and 1000 and offset at least 0"},
	{domain.ErrValidation, http.StatusUnprocessableEntity, "invalid input"},
	{domain.ErrEmailTaken, http.StatusConflict, "email already registered"},
	{domain.ErrCannotRejectAdmin, http.StatusConflict, "an administrator cannot be rejected"},
	{domain.ErrAccountPending, http.StatusForbidden, "account awaits approval by an administrator"},
	{domain.ErrAccountRejected, http.StatusForbidden, "account was rejected"},
	{domain.ErrForbidden, http.StatusForbidden, "administrator access required"},
	{domain.ErrIncorrectPassword, http.StatusBadRequest, "current password is incorrect"},
	{domain.ErrUserNotFound, http.StatusNotFound, "user not found"},
}

// fail maps err, from a use case, to its response. An error the contract
// does not name is a 500 with a generic detail; its cause is logged.
func (a *API) fail(ctx context.Context, err error) Response {
	switch {
	case errors.Is(err, domain.ErrInvalidCredentials):
		r := problem(http.StatusUnauthorized, "incorrect email or password")
		r.Header.WWWAuthenticate = "Bearer"
		return r
	case errors.Is(err, domain.ErrInvalidToken):
		return unauthorized(true)
	case errors.Is(err, domain.ErrPasswordChangeRequired):
		return problem(http.StatusForbidden, "change the default admin password first: POST "+a.prefix+"/change-password")
	case errors.Is(err, domain.ErrTooManyAttempts):
		return retryLater(http.StatusTooManyRequests, "too many failed attempts; try again later", err)
	case errors.Is(err, domain.ErrTooManyRegistrations):
		return retryLater(http.StatusTooManyRequests, "too many registrations; try again later", err)
	case errors.Is(err, domain.ErrOverloaded):
		return retryLater(http.StatusServiceUnavailable, "too many password checks at once; try again later", err)
	case errors.Is(err, domain.ErrStoreUnavailable):
		a.log.WarnContext(ctx, "httpapi: the user store did not answer", "error", err)
		return retryLater(http.StatusServiceUnavailable, "the service is temporarily unavailable; try again later", err)
	case errors.Is(err, domain.ErrDefaultPasswordRemote):
		return problem(http.StatusForbidden, "the built-in default admin password works only from the server's own machine until it is changed: "+
			"log in from there and change it, or start the server with another admin password")
	case errors.Is(err, context.DeadlineExceeded):
		// The request's own time (Config.RequestTimeout) ran out.
		a.log.WarnContext(ctx, "httpapi: request ran out of time", "error", err)
		return retryLater(http.StatusServiceUnavailable, "the request took too long; try again later", err)
	case errors.Is(err, context.Canceled):
		// The client went away (or the server is shutting down): nobody
		// reads this answer, and it is no server failure.
		return retryLater(http.StatusServiceUnavailable, "the request was cancelled", err)
	}
	for _, e := range errorStatus {
		if errors.Is(err, e.err) {
			detail := e.detail
			if e.status == http.StatusUnprocessableEntity {
				detail = validationDetail(err, detail)
			}
			return problem(e.status, detail)
		}
	}
	a.log.ErrorContext(ctx, "httpapi: request failed", "error", err)
	return problem(http.StatusInternalServerError, internalDetail)
}

// retryLater returns a 429 or 503 with the Retry-After of err (a
// *domain.RetryError), in whole seconds rounded up, at least 1.
func retryLater(status int, detail string, err error) Response {
	after := time.Second
	if re, ok := errors.AsType[*domain.RetryError](err); ok {
		after = max(after, re.After)
	}
	// Round up without adding to after, which may be near math.MaxInt64
	// (a limiter's "forever").
	secs := int64(after / time.Second)
	if after%time.Second != 0 {
		secs++
	}
	r := problem(status, detail)
	r.Header.RetryAfter = strconv.FormatInt(secs, 10)
	return r
}

// validationDetail returns the detail of a validation error, the
// *domain.ValidationError's own Detail ("password is too short: at least
// 8 characters"), which the domain promises is safe to send; fallback if
// err holds none or an empty one.
func validationDetail(err error, fallback string) string {
	if ve, ok := errors.AsType[*domain.ValidationError](err); ok && ve.Detail != "" {
		return ve.Detail
	}
	return fallback
}

// Problem returns an RFC 9457 problem-document response with the given
// status and detail, for adapters that answer their framework's own errors
// (an unknown route, a body over the framework's limit) the contract's way.
func Problem(status int, detail string) Response { return problem(status, detail) }
