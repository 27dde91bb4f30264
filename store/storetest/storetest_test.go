package storetest_test

import (
	"testing"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/store/storetest"
)

// TestRunMemory runs the suite against store.Memory, the reference
// implementation; store's own tests run it against File too.
func TestRunMemory(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}
