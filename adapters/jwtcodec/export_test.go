package jwtcodec

// KeyOf exposes the codec's key to the external tests, which check that a
// generated key is never logged.
func KeyOf(c *Codec) []byte { return c.key }
