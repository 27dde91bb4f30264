package wire

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoStreamReadMessage guards the API against a function named like
// btcd's wire.ReadMessage, which reads the next message from a stream. A
// Lightning message has no length of its own, so such a function here
// could only read its whole input, and a btcd user handing it a
// connection would block until the peer hung up. DecodeMessage (whole
// bytes) and peer.Transport.ReadMessage (one BOLT 8 frame) are the ways
// to read a message.
func TestNoStreamReadMessage(t *testing.T) {
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	fset := token.NewFileSet()
	checked := 0
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		checked++
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			require.NotEqual(t, "ReadMessage", fn.Name.Name,
				"%s declares wire.ReadMessage: a btcd user would expect it to read one message from a stream", name)
		}
	}
	require.NotZero(t, checked, "no source files found")
}
