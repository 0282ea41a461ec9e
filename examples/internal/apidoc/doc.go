// Package apidoc holds the tests of the API documentation the example
// servers serve: the OpenAPI 3.1 document at /auth/openapi.json and the
// Swagger UI page at /auth/docs. It has no code of its own.
//
//   - TestOpenAPIDocumentValid loads the document, exactly as the example
//     servers build it, with kin-openapi and validates it against the
//     OpenAPI 3.1 specification, and checks that it lists exactly the
//     routes the nethttp example serves.
//   - TestContractMatchesOpenAPI runs the HTTP contract suite
//     (transport/contracttest) against the net/http, Echo and Fiber
//     transports and checks every exchange against the document with
//     kin-openapi's openapi3filter: the requests that succeed, and every
//     response (status, Content-Type, headers and body).
//   - TestSwaggerUIBrowser runs the nethttp example and drives Swagger UI
//     in headless Chromium: Authorize with the OAuth2 password flow, then
//     "Try it out" on GET /auth/me. It needs /usr/bin/chromium and the
//     swagger-ui-dist files (SWAGGER_UI_DIST, or npm to fetch them), and
//     is skipped, saying why, without them.
package apidoc
