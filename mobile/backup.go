package mobile

// ExportBackup returns the static channel backup of the node's channels,
// encrypted with a key derived from the seed (package backup). Save it
// off the phone (the app's cloud backup) after every channel opening; it
// holds nothing per payment, so it does not go stale as payments flow.
func (n *Node) ExportBackup(timeoutMs int64) ([]byte, error) {
	nd, err := n.running()
	if err != nil {
		return nil, err
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	b, err := nd.ExportBackup(ctx)
	if err != nil {
		return nil, mapError(err)
	}
	return b, nil
}

// RestoreBackup recovers the channels of a backup after the node's data
// was lost: run it on a new node with the same seed (and an empty
// DataDir). The node reconnects to each channel's peer, asks it to
// force-close, and sweeps this node's balance from the peer's commitment
// to the Wallet once it confirms; OnChannelClosed reports each. HTLCs in
// flight at the loss are not recovered. A backup made with another seed,
// or damaged, is a BACKUP error.
func (n *Node) RestoreBackup(backup []byte, timeoutMs int64) error {
	nd, err := n.running()
	if err != nil {
		return err
	}
	if len(backup) == 0 {
		return newError(CodeInvalidArgument, "empty backup")
	}
	ctx, cancel := timeout(timeoutMs)
	defer cancel()
	return mapError(nd.RestoreBackup(ctx, backup))
}
