package fiberauth

import (
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/usecase"
)

// The types an application handles when it uses this package, so that it
// needs no other import of authadmin's transport layer. They are aliases:
// values of the original types are values of these, and the other way round.
type (
	// Config configures New and Setup: the Service (required), the route
	// prefix, the request limits, the trusted proxies, the OpenAPI hook and
	// Swagger UI. It is httpapi.Config, which documents every field.
	Config = httpapi.Config

	// Claims are the claims of a verified token, as ClaimsFrom returns
	// them: Subject is the user's email, IsAdmin the admin flag, Extra the
	// application's own claims (company_id, ...). It is domain.Claims.
	Claims = domain.Claims

	// Principal is the authenticated caller RequireLogin and RequireAdmin
	// store for a request, as PrincipalFrom returns it: its Email, IsAdmin
	// and Claims, ready to pass to the use cases that act for a caller.
	// It is usecase.Principal.
	Principal = usecase.Principal

	// Document is the OpenAPI 3.1 document of the auth routes, as
	// Auth.OpenAPI returns it and Config.OpenAPI edits it. It is
	// openapi.Document; package openapi has the helpers that build the
	// operations an application adds to it.
	Document = openapi.Document
)
