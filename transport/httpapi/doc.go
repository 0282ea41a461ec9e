// Package httpapi is the framework-neutral HTTP layer of authadmin: the
// routes of the HTTP contract (request decoding, validation, the mapping of
// domain errors to status codes and RFC 9457 problem documents, response
// shapes) and the bearer-token check of RequireLogin, written once.
//
// A transport adapter (transport/httpauth, transport/echoauth,
// transport/fiberauth) only translates: it fills a Request from its
// framework's request, calls Route.Handle or API.Authenticate, and writes the
// Response back. So every transport serves exactly the same contract, and
// the contract suite (transport/contracttest) checks each one the same way.
//
// Applications use an adapter, not this package, except to read Config.
package httpapi
