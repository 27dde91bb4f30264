package testutil

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportedOnlyByTests walks the module and fails if a file that is not
// a _test.go file imports this package, or if it imports anything of lnkit
// (which would make an import cycle for that package's tests).
func TestImportedOnlyByTests(t *testing.T) {
	const self = "github.com/lnkit/lnkit/internal/testutil"
	root := filepath.Join("..", "..")
	users := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			// Other modules (interop) and testdata are not this module's code.
			if path != root && (d.Name() == "testdata" || d.Name() == "interop" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return nil // a file another engineer is writing; go vet reports it
		}
		inSelf := filepath.Dir(path) == filepath.Join(root, "internal", "testutil")
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			switch {
			case inSelf && p != self && strings.HasPrefix(p, "github.com/lnkit/lnkit"):
				t.Errorf("%s imports %s", path, p)
			case p == self && !strings.HasSuffix(path, "_test.go"):
				t.Errorf("%s is not a test but imports testutil", path)
			case p == self:
				users++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if users == 0 {
		t.Fatal("no test imports testutil: the walk is broken")
	}
}
