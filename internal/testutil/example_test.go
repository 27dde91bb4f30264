package testutil_test

import (
	"fmt"

	"github.com/lnkit/lnkit/internal/testutil"
)

// Tests decode the spec's hex with the helpers, which fail the test (or,
// for MustHex, panic) on a typo in a vector instead of returning an error.
func ExampleMustHex() {
	b := testutil.MustHex("0x0102ff")
	fmt.Println(len(b), b[2])
	// Output: 3 255
}
