package jwtcodec

import (
	"errors"
	"fmt"

	"github.com/authadmin/authadmin/domain"
)

// The faults Decode reports. Every Decode error wraps domain.ErrInvalidToken
// and exactly one of these; a token with several faults is reported by the
// first check it fails (see Codec.Decode for their order).
var (
	// ErrTooLong reports a token longer than the codec's maximum
	// (WithMaxTokenBytes), refused before any of it is read.
	ErrTooLong = errors.New("jwtcodec: token too long")
	// ErrMalformed reports a token that is not a compact JWS: a byte
	// outside the base64url alphabet and '.', other than three segments,
	// a segment that is not strict base64url, or a header or payload that
	// is not a JSON object (null reads as an object without members).
	ErrMalformed = errors.New("jwtcodec: malformed token")
	// ErrSignature reports a signature that does not verify under the
	// codec's key and algorithm.
	ErrSignature = errors.New("jwtcodec: invalid signature")
	// ErrHeader reports a correctly signed header that names no algorithm
	// or another one than the codec's, or that lists critical extensions
	// ("crit"), none of which the codec supports.
	ErrHeader = errors.New("jwtcodec: header not accepted")
	// ErrClaims reports a claim that is missing, of the wrong type or out
	// of range: "exp", "iat", "sub", "is_admin" or "ver" missing, a time
	// claim that is not a number of seconds from 1970 to the end of 9999,
	// "exp" not after "iat", an empty "sub", a "ver" that is not a
	// non-negative integer, or an "nbf", "iss", "aud" or "jti" of the wrong
	// type.
	ErrClaims = errors.New("jwtcodec: invalid claims")
	// ErrExpired reports a token whose "exp", plus the leeway, is not after
	// the time of decoding.
	ErrExpired = errors.New("jwtcodec: token expired")
	// ErrNotValidYet reports a token whose "nbf" or "iat", minus the
	// leeway, is after the time of decoding.
	ErrNotValidYet = errors.New("jwtcodec: token not valid yet")
	// ErrIssuer reports, for a codec with an issuer (WithIssuer), a token
	// without "iss" or with another one.
	ErrIssuer = errors.New("jwtcodec: issuer not accepted")
	// ErrAudience reports, for a codec with an audience (WithAudience), a
	// token whose "aud" is absent, empty or does not contain it.
	ErrAudience = errors.New("jwtcodec: audience not accepted")
)

// The errors of Decode, built once so that refusing a token allocates
// nothing but the error of the byte check.
var (
	errSegments       = invalid(ErrMalformed, "not three segments")
	errSignatureB64   = invalid(ErrMalformed, "signature is not strict base64url")
	errBadSignature   = invalid(ErrSignature, "")
	errHeaderB64      = invalid(ErrMalformed, "header is not strict base64url")
	errHeaderJSON     = invalid(ErrMalformed, "header is not a JSON object")
	errPayloadB64     = invalid(ErrMalformed, "payload is not strict base64url")
	errPayloadJSON    = invalid(ErrMalformed, "payload is not JSON")
	errNoAlg          = invalid(ErrHeader, `"alg" missing or not a string`)
	errCrit           = invalid(ErrHeader, `"crit" present: no JWS extension is supported`)
	errExpType        = invalid(ErrClaims, "exp is not a number of seconds from 1970 to 9999")
	errExpMissing     = invalid(ErrClaims, "exp missing")
	errExpired        = invalid(ErrExpired, "")
	errNbfType        = invalid(ErrClaims, "nbf is not a number of seconds from 1970 to 9999")
	errNotValidYet    = invalid(ErrNotValidYet, "nbf is in the future")
	errIatType        = invalid(ErrClaims, "iat is not a number of seconds from 1970 to 9999")
	errIssuedLater    = invalid(ErrNotValidYet, "iat is in the future")
	errAudType        = invalid(ErrClaims, "aud is not a string or a list of strings")
	errAudMissing     = invalid(ErrAudience, "aud missing")
	errWrongAudience  = invalid(ErrAudience, "aud does not contain the codec's audience")
	errIssType        = invalid(ErrClaims, "iss is not a string")
	errIssMissing     = invalid(ErrIssuer, "iss missing")
	errWrongIssuer    = invalid(ErrIssuer, "iss is not the codec's issuer")
	errSub            = invalid(ErrClaims, "sub missing, empty or not a string")
	errIsAdmin        = invalid(ErrClaims, "is_admin missing or not a boolean")
	errVerType        = invalid(ErrClaims, "ver missing or not a number")
	errVerValue       = invalid(ErrClaims, "ver is not a non-negative integer")
	errIatMissing     = invalid(ErrClaims, "iat missing")
	errExpNotAfterIat = invalid(ErrClaims, "exp is not after iat")
	errJTI            = invalid(ErrClaims, "jti is not a string")
)

// invalid is a Decode error: it wraps domain.ErrInvalidToken and kind, one
// of the exported sentinels, and says what is wrong (msg may be empty).
func invalid(kind error, msg string) error {
	if msg == "" {
		return fmt.Errorf("%w: %w", domain.ErrInvalidToken, kind)
	}
	return fmt.Errorf("%w: %w: %s", domain.ErrInvalidToken, kind, msg)
}
