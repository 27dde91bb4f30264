// Package bind is the gobind check of package mobile: a module of its own,
// so that golang.org/x/mobile stays out of the root module's go.mod. Its
// script, run, builds gobind from this module, generates the Java and
// Objective-C bindings of github.com/lnkit/lnkit/mobile, fails if gobind
// skipped any symbol, and compiles the generated Java with a program that
// calls the binding (java/).
//
// The blank import keeps the requirement on the lnkit module (replaced by
// ../..) in go.mod.
package bind

import _ "github.com/lnkit/lnkit/mobile"
