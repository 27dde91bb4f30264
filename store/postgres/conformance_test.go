package postgres

import (
	"testing"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/store/storetest"
)

func opener(t *testing.T) store.Store { return mustOpen(t, newNamespace(t)) }

// reopener closes s and opens its namespace again, as a restarted node
// would: what Write reported durable must be read back.
func reopener(t *testing.T, s store.Store) store.Store {
	p := s.(*Store)
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return mustOpen(t, p.Namespace())
}

func TestConformance(t *testing.T) {
	storetest.Run(t, opener)
}

func TestConformanceReopen(t *testing.T) {
	storetest.RunReopen(t, opener, reopener)
}
