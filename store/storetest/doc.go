// Package storetest is the conformance suite for implementations of
// store.Store. Run checks everything the interface promises that a test can
// observe without crashing the machine: gets, puts and deletes, bytewise
// list order and prefix edges, batch atomicity and last-op-wins, value
// isolation, size limits, context cancellation, and concurrent readers and
// writers (run it under -race). RunReopen also closes and reopens the store
// between writing and reading back, to check that what Write reported
// durable survives.
//
// The package lives apart from store so that an adapter in another module
// (a database-backed Store) runs the same suite:
//
//	func TestConformance(t *testing.T) {
//		storetest.RunReopen(t, openAdapter, reopenAdapter)
//	}
package storetest
