package echoauth_test

import (
	"github.com/authadmin/authadmin/domain"
	"github.com/authadmin/authadmin/transport/echoauth"
	"github.com/authadmin/authadmin/transport/httpapi"
	"github.com/authadmin/authadmin/transport/httpapi/openapi"
	"github.com/authadmin/authadmin/usecase"
)

// The package's types are aliases, not new types: values of the original
// types are values of these without a conversion. This does not compile if
// one of them becomes a type of its own.
var (
	_ httpapi.Config    = echoauth.Config{}
	_ domain.Claims     = echoauth.Claims{}
	_ usecase.Principal = echoauth.Principal{}
	_ *openapi.Document = new(echoauth.Document)
)
