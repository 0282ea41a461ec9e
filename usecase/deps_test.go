package usecase_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// The core's dependency rule: domain imports only the standard library;
// ports and usecase add only this repository's domain and ports.
func TestCoreDependsOnlyInward(t *testing.T) {
	const repo = "github.com/authadmin/authadmin/"
	allowed := map[string][]string{
		"../domain": nil,
		"../ports":  {repo + "domain"},
		".":         {repo + "domain", repo + "ports"},
	}
	for dir, extra := range allowed {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, imp := range pkg.Imports {
			if isStdlib(imp) || slices.Contains(extra, imp) {
				continue
			}
			t.Errorf("package %s imports %s; the core may import only the standard library and %v", pkg.ImportPath, imp, extra)
		}
	}
}

// isStdlib reports whether path is a standard-library import path (no dot in
// its first element).
func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
