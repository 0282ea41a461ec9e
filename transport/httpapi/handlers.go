package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/usecase"
)

// userJSON is the user object of the contract. It has no field for the
// password hash, so no response can hold one.
type userJSON struct {
	Email      string    `json:"email"`
	IsAdmin    bool      `json:"is_admin"`
	IsApproved bool      `json:"is_approved"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

func toUserJSON(u domain.User) userJSON {
	return userJSON{
		Email:      u.Email,
		IsAdmin:    u.IsAdmin,
		IsApproved: u.IsApproved(),
		Status:     string(u.Status),
		CreatedAt:  u.CreatedAt.UTC(),
	}
}

// meJSON is the body of GET /me: the user object and the token's claims.
type meJSON struct {
	userJSON
	Claims map[string]any `json:"claims"`
}

// tokenJSON is the OAuth2 access token response (RFC 6749 section 5.1).
type tokenJSON struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// credentialsJSON is the body of POST /register and the JSON form of
// POST /login (which also takes "username", as the OAuth2 form does).
type credentialsJSON struct {
	Email    *string `json:"email"`
	Username *string `json:"username"`
	Password *string `json:"password"`
}

// changePasswordJSON is the body of POST /change-password.
type changePasswordJSON struct {
	CurrentPassword *string `json:"current_password"`
	NewPassword     *string `json:"new_password"`
}

// emailJSON is the body of POST /approve and POST /reject.
type emailJSON struct {
	Email *string `json:"email"`
}

// missing returns the 422 for an absent required field.
func missing(field string) Response {
	return problem(http.StatusUnprocessableEntity, "field \""+field+"\" is required")
}

func (a *API) register(ctx context.Context, req Request) Response {
	if _, resp := parseQuery(req.RawQuery); resp != nil {
		return *resp
	}
	var in credentialsJSON
	if resp := a.decodeJSON(req, &in); resp != nil {
		return *resp
	}
	if in.Username != nil {
		return problem(http.StatusBadRequest, `unknown field "username"`)
	}
	if in.Email == nil {
		return missing("email")
	}
	if in.Password == nil {
		return missing("password")
	}
	// The client throttles registrations (usecase.Config.Registrations).
	ctx = a.withClient(ctx, req)
	u, err := a.svc.Register(ctx, *in.Email, *in.Password)
	if err != nil {
		return a.fail(ctx, err)
	}
	return jsonResponse(http.StatusCreated, toUserJSON(u))
}

func (a *API) login(ctx context.Context, req Request) Response {
	if _, resp := parseQuery(req.RawQuery); resp != nil {
		return *resp
	}
	var email, password string
	switch mediaType(req.ContentType) {
	case mediaForm:
		form, resp := a.decodeForm(req)
		if resp != nil {
			return *resp
		}
		if gt, ok := form["grant_type"]; ok && gt[0] != "password" {
			return problem(http.StatusBadRequest, `grant_type must be "password"`)
		}
		if _, ok := form["username"]; !ok {
			return missing("username")
		}
		if _, ok := form["password"]; !ok {
			return missing("password")
		}
		email, password = form.Get("username"), form.Get("password")
	case mediaJSON:
		var in credentialsJSON
		if resp := a.decodeJSON(req, &in); resp != nil {
			return *resp
		}
		switch {
		case in.Email != nil && in.Username != nil:
			return problem(http.StatusBadRequest, `give "email" or "username", not both`)
		case in.Email != nil:
			email = *in.Email
		case in.Username != nil:
			email = *in.Username
		default:
			return missing("email")
		}
		if in.Password == nil {
			return missing("password")
		}
		password = *in.Password
	default:
		return problem(http.StatusUnsupportedMediaType, "the request body must be application/x-www-form-urlencoded or application/json")
	}
	ctx = a.withClient(ctx, req)
	tok, err := a.svc.Login(ctx, usecase.LoginRequest{Email: email, Password: password})
	if err != nil {
		return a.fail(ctx, err)
	}
	resp := jsonResponse(http.StatusOK, tokenJSON{
		AccessToken: tok.AccessToken,
		TokenType:   tok.TokenType,
		ExpiresIn:   int64(tok.ExpiresIn / time.Second),
	})
	resp.Header.CacheControl = "no-store"
	resp.Header.Pragma = "no-cache"
	return resp
}

func (a *API) me(ctx context.Context, req Request) Response {
	p, resp, ok := a.Authenticate(ctx, req.Authorization)
	if !ok {
		return resp
	}
	if _, resp := parseQuery(req.RawQuery); resp != nil {
		return *resp
	}
	u, err := a.svc.Me(ctx, p)
	if err != nil {
		return a.fail(ctx, err)
	}
	return jsonResponse(http.StatusOK, meJSON{userJSON: toUserJSON(u), Claims: p.Claims().Map()})
}

func (a *API) changePassword(ctx context.Context, req Request) Response {
	p, resp, ok := a.Authenticate(ctx, req.Authorization)
	if !ok {
		return resp
	}
	if _, resp := parseQuery(req.RawQuery); resp != nil {
		return *resp
	}
	var in changePasswordJSON
	if resp := a.decodeJSON(req, &in); resp != nil {
		return *resp
	}
	if in.CurrentPassword == nil {
		return missing("current_password")
	}
	if in.NewPassword == nil {
		return missing("new_password")
	}
	// The client throttles the current-password check.
	ctx = a.withClient(ctx, req)
	if err := a.svc.ChangePassword(ctx, p, *in.CurrentPassword, *in.NewPassword); err != nil {
		return a.fail(ctx, err)
	}
	return Response{Status: http.StatusNoContent}
}

func (a *API) pending(ctx context.Context, req Request) Response {
	p, resp, ok := a.authenticateAdmin(ctx, req)
	if !ok {
		return resp
	}
	query, bad := parseQuery(req.RawQuery)
	if bad != nil {
		return *bad
	}
	limit, okLimit := queryInt(query.Get("limit"), usecase.DefaultPageLimit)
	offset, okOffset := queryInt(query.Get("offset"), 0)
	if !okLimit || !okOffset {
		return problem(http.StatusUnprocessableEntity, "limit and offset must be integers")
	}
	users, err := a.svc.ListPending(ctx, p, limit, offset)
	if err != nil {
		return a.fail(ctx, err)
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = toUserJSON(u)
	}
	return jsonResponse(http.StatusOK, out)
}

// authenticateAdmin authenticates the caller of an admin endpoint and
// refuses a non-admin before the request's body or query is looked at (a
// query string that does not parse included), so that a non-admin always
// gets 403 whatever it sends. (The use case checks again against the
// store.)
func (a *API) authenticateAdmin(ctx context.Context, req Request) (usecase.Principal, Response, bool) {
	p, resp, ok := a.Authenticate(ctx, req.Authorization)
	if !ok {
		return p, resp, false
	}
	if resp, ok := a.RequireAdmin(p); !ok {
		return p, resp, false
	}
	return p, Response{}, true
}

// queryInt parses an integer query parameter; "" gives def.
func queryInt(s string, def int) (int, bool) {
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func (a *API) approve(ctx context.Context, req Request) Response {
	return a.decide(ctx, req, a.svc.Approve)
}

func (a *API) reject(ctx context.Context, req Request) Response {
	return a.decide(ctx, req, a.svc.Reject)
}

// decide serves approve and reject: authenticate, decode {"email": ...},
// apply the decision.
func (a *API) decide(ctx context.Context, req Request, apply func(context.Context, usecase.Principal, string) (domain.User, error)) Response {
	p, resp, ok := a.authenticateAdmin(ctx, req)
	if !ok {
		return resp
	}
	if _, resp := parseQuery(req.RawQuery); resp != nil {
		return *resp
	}
	var in emailJSON
	if resp := a.decodeJSON(req, &in); resp != nil {
		return *resp
	}
	if in.Email == nil {
		return missing("email")
	}
	u, err := apply(ctx, p, *in.Email)
	if err != nil {
		return a.fail(ctx, err)
	}
	return jsonResponse(http.StatusOK, toUserJSON(u))
}

// withClient returns ctx carrying req's client for the use cases: its
// address for throttling, and whether it is the server's own machine.
func (a *API) withClient(ctx context.Context, req Request) context.Context {
	return usecase.WithClient(ctx, usecase.Client{Address: a.clients.client(req), Local: !a.clients.remote(req)})
}
