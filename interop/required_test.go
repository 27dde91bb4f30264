package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// verdict is a testing.TB that records Skipf and Fatalf instead of
// stopping the test, so that requireBinaries' decision can be checked.
type verdict struct {
	testing.TB
	skipped, failed string
}

func (v *verdict) Helper()                      {}
func (v *verdict) Skipf(f string, args ...any)  { v.skipped = fmt.Sprintf(f, args...) }
func (v *verdict) Fatalf(f string, args ...any) { v.failed = fmt.Sprintf(f, args...) }

// TestRequireBinaries checks that missing binaries fail the suite under CI
// (or LNKIT_INTEROP_REQUIRED) with a message saying to run interop/run,
// and skip it otherwise: a CI run that skipped the interop tests used to
// pass without having run them.
func TestRequireBinaries(t *testing.T) {
	for _, c := range []struct {
		ci, required string
		fail         bool
	}{
		{ci: "true", fail: true},
		{ci: "1", fail: true},
		{required: "1", fail: true},
		{required: "yes", fail: true},
		{ci: "false", required: "true", fail: true},
		{ci: "true", required: "0"},
		{ci: "false"},
		{},
	} {
		t.Run(fmt.Sprintf("CI=%q,LNKIT_INTEROP_REQUIRED=%q", c.ci, c.required), func(t *testing.T) {
			t.Setenv("CI", c.ci)
			t.Setenv("LNKIT_INTEROP_REQUIRED", c.required)
			t.Setenv("LNKIT_INTEROP_BIN", t.TempDir()) // empty: nothing built
			var v verdict
			requireBinaries(&v)
			if c.fail {
				if v.failed == "" || v.skipped != "" {
					t.Fatalf("want a failure, got failed %q, skipped %q", v.failed, v.skipped)
				}
				if want := "run interop/run"; !strings.Contains(v.failed, want) {
					t.Fatalf("failure %q does not say %q", v.failed, want)
				}
				return
			}
			if v.skipped == "" || v.failed != "" {
				t.Fatalf("want a skip, got failed %q, skipped %q", v.failed, v.skipped)
			}
		})
	}

	t.Run("built", func(t *testing.T) {
		dir := t.TempDir()
		for _, b := range interopBinaries {
			if err := os.WriteFile(filepath.Join(dir, b), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv("CI", "true")
		t.Setenv("LNKIT_INTEROP_BIN", dir)
		var v verdict
		requireBinaries(&v)
		if v.failed != "" || v.skipped != "" {
			t.Fatalf("binaries present: failed %q, skipped %q", v.failed, v.skipped)
		}
	})
}
