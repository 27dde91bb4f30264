package fastcrypto

import (
	"go/build"
	"strings"
	"testing"
)

// TestLeaf checks that the package stays a leaf: wire and every package
// above it import it, so it may import nothing of lnkit.
func TestLeaf(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Imports) == 0 {
		t.Fatal("no imports found")
	}
	for _, imp := range pkg.Imports {
		if strings.HasPrefix(imp, "github.com/lnkit/lnkit") {
			t.Errorf("fastcrypto imports %s", imp)
		}
	}
}
