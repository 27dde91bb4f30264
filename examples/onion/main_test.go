package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, name := range []string{"Bob", "Carol", "Dave", "Eve"} {
		if !strings.Contains(s, name+"\n") {
			t.Fatalf("no section for %s:\n%s", name, s)
		}
	}
	if strings.Count(s, "forwards another 1366-byte packet") != 3 || strings.Count(s, "this node is the recipient") != 1 {
		t.Fatalf("unexpected output:\n%s", s)
	}
	if !strings.Contains(s, "receive 50000 msat") {
		t.Fatalf("final amount missing:\n%s", s)
	}
}
