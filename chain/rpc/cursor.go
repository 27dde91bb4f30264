package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/store"
)

// The Poller's position in a Store, under its key prefix:
//
//	prefix + "tip"                  height (4 bytes, big-endian) || header (80 bytes)
//	prefix + "h/" + height (4 bytes BE)  header (80 bytes), for the last Window blocks
//
// The tip and the header at its height are written in the same batch as
// the header that leaves the window is deleted.
const (
	tipSuffix    = "tip"
	headerSuffix = "h/"
	headerSize   = 80
)

func headerKey(prefix string, height uint32) string {
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], height)
	return prefix + headerSuffix + string(h[:])
}

func encodeHeader(h btcwire.BlockHeader) []byte {
	var buf bytes.Buffer
	buf.Grow(headerSize)
	_ = h.Serialize(&buf) // writes to a bytes.Buffer do not fail
	return buf.Bytes()
}

func decodeHeader(v []byte) (btcwire.BlockHeader, error) {
	var h btcwire.BlockHeader
	if len(v) != headerSize {
		return h, fmt.Errorf("header of %d bytes, want %d", len(v), headerSize)
	}
	err := h.Deserialize(bytes.NewReader(v))
	return h, err
}

// putTip adds the writes that make (height, h) the stored tip.
func putTip(b *store.Batch, prefix string, height uint32, h btcwire.BlockHeader) {
	enc := encodeHeader(h)
	v := make([]byte, 4, 4+headerSize)
	binary.BigEndian.PutUint32(v, height)
	b.Put(prefix+tipSuffix, append(v, enc...))
	b.Put(headerKey(prefix, height), enc)
}

// loadCursor reads the stored tip and window; found is false if there is
// no tip.
func loadCursor(ctx context.Context, s store.Store, prefix string) (tip Checkpoint, header btcwire.BlockHeader,
	window map[uint32]btcwire.BlockHeader, found bool, err error) {
	v, err := s.Get(ctx, prefix+tipSuffix)
	if errors.Is(err, store.ErrNotFound) {
		return tip, header, nil, false, nil
	}
	if err != nil {
		return tip, header, nil, false, fmt.Errorf("chain/rpc: load position: %w", err)
	}
	if len(v) != 4+headerSize {
		return tip, header, nil, false, fmt.Errorf("chain/rpc: load position: tip record of %d bytes, want %d", len(v), 4+headerSize)
	}
	header, err = decodeHeader(v[4:])
	if err != nil {
		return tip, header, nil, false, fmt.Errorf("chain/rpc: load position: %w", err)
	}
	tip = Checkpoint{Height: binary.BigEndian.Uint32(v), Hash: header.BlockHash()}
	keys, err := s.List(ctx, prefix+headerSuffix)
	if err != nil {
		return tip, header, nil, false, fmt.Errorf("chain/rpc: load headers: %w", err)
	}
	window = make(map[uint32]btcwire.BlockHeader, len(keys))
	for _, k := range keys {
		hk := strings.TrimPrefix(k, prefix+headerSuffix)
		if len(hk) != 4 {
			continue // not ours
		}
		v, err := s.Get(ctx, k)
		if err != nil {
			return tip, header, nil, false, fmt.Errorf("chain/rpc: load header: %w", err)
		}
		h, err := decodeHeader(v)
		if err != nil {
			return tip, header, nil, false, fmt.Errorf("chain/rpc: load header %x: %w", hk, err)
		}
		window[binary.BigEndian.Uint32([]byte(hk))] = h
	}
	return tip, header, window, true, nil
}
