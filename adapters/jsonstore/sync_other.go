//go:build !unix

package jsonstore

// syncDir does nothing where directories cannot be opened for fsync
// (Windows, where a completed MoveFileEx is the best available guarantee).
func syncDir(dir string) error { return nil }
