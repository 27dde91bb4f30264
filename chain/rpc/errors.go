package rpc

import "errors"

var (
	// ErrHeightOutOfRange is wrapped by Client.BlockHash for a height above
	// the node's tip.
	ErrHeightOutOfRange = errors.New("chain/rpc: block height out of range")

	// ErrForkNotFound is wrapped by Poller.Sync when the blocks it
	// delivered left the best chain and it cannot walk back to the fork
	// point: the header of an orphaned block is neither in its window of
	// recent headers nor known to the node. Consumers then need a rescan
	// from a height the host chooses (a new Poller with a Start below the
	// fork).
	ErrForkNotFound = errors.New("chain/rpc: fork point not found")

	// ErrStarted is returned by Poller.Start when the poller is already
	// running, and by Poller.Sync while it runs.
	ErrStarted = errors.New("chain/rpc: poller already running")
)
