// Package testutil holds the helpers that lnkit's tests share: hex, key and
// transaction decoding that fails the test on bad input, and the loader of
// the JSON vector files each package keeps in its testdata directory.
//
// It is imported only by _test.go files. It imports nothing of lnkit, so
// the tests of every package, wire included, can use it without an import
// cycle.
package testutil
