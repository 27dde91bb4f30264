//go:build tools

// Package interop pins the binaries its tests build: lnd, lncli, btcd and
// btcctl. The build tag keeps this file out of normal builds.
package interop

import (
	_ "github.com/btcsuite/btcd"
	_ "github.com/btcsuite/btcd/cmd/btcctl"
	_ "github.com/lightningnetwork/lnd/cmd/lncli"
	_ "github.com/lightningnetwork/lnd/cmd/lnd"
)
