package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestQuickstart runs the whole walk-through and checks each step
// reported what it should.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	for _, want := range []string{
		"alice pays it: succeeded",
		"custom record: succeeded",
		"alice pays through bob: succeeded, 2 hops, bob's fee 1040 msat",
		"confirmed (1 confirmation)",
		"9. Final balances:",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}
