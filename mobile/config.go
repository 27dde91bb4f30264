package mobile

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
)

// Config is what a Node is built from. Network, DataDir and a seed (Seed
// or SeedHex) are required; zero values of the other fields take the
// defaults of package node.
type Config struct {
	// Network is "mainnet" (or "bitcoin"), "testnet3" (or "testnet"),
	// "testnet4", "signet", "regtest" or "simnet".
	Network string
	// DataDir is the directory of the node's crash-safe store (a
	// store.File: an append-only log with one fdatasync per write). It
	// is created if missing. On a phone, use the app's private files
	// directory.
	DataDir string
	// Seed is the node's secret, 16 to 64 bytes: every key derives from
	// it. A BIP 39 wallet passes SeedFromMnemonic's 64 bytes. Give Seed
	// or SeedHex, not both.
	Seed []byte
	// SeedHex is the seed in hex, for hosts that keep it as text.
	SeedHex string
	// Alias is the node alias announced in node_announcement.
	Alias string
	// ListenAddress, when set ("0.0.0.0:9735", "127.0.0.1:0"), makes the
	// node accept incoming connections there; Node.ListenAddress tells
	// the bound address. Phones usually leave it empty and only dial.
	ListenAddress string
	// MinDepth is the number of confirmations the node waits for before
	// using a channel it did not fund (0: 3).
	MinDepth int32
	// AcceptZeroConf accepts channels that peers ask to use before their
	// funding confirms (option_zeroconf): set it only when the peers are
	// trusted not to double-spend the funding, as an LSP is.
	AcceptZeroConf bool
	// PaymentTimeoutSeconds bounds the retries of an outgoing payment
	// (0: 60 s).
	PaymentTimeoutSeconds int64
	// MaxFeePercent bounds the routing fee of a payment sent without a
	// fee limit, in percent of the amount (0: 1 %, never below 1 sat).
	MaxFeePercent float64
	// Logger, when set, receives the node's log lines.
	Logger Logger
}

// NewConfig returns a Config for network with its data directory; set a
// seed before passing it to NewNode.
func NewConfig(network, dataDir string) *Config {
	return &Config{Network: network, DataDir: dataDir}
}

// Logger is implemented by the host to receive the node's log lines.
// Level is slog's: -4 debug, 0 info, 4 warning, 8 error. Log is called
// from the node's goroutines and must return quickly.
type Logger interface {
	// Log receives one line.
	Log(level int32, line string)
}

// networkParams resolves a network name.
func networkParams(name string) (*chaincfg.Params, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "mainnet", "bitcoin":
		return &chaincfg.MainNetParams, nil
	case "testnet3", "testnet":
		return &chaincfg.TestNet3Params, nil
	case "testnet4":
		return &chaincfg.TestNet4Params, nil
	case "signet":
		return &chaincfg.SigNetParams, nil
	case "regtest":
		return &chaincfg.RegressionNetParams, nil
	case "simnet":
		return &chaincfg.SimNetParams, nil
	}
	return nil, newError(CodeInvalidArgument, fmt.Sprintf("unknown network %q (want mainnet, testnet3, testnet4, signet, regtest or simnet)", name))
}

// seed returns the configured seed.
func (c *Config) seed() ([]byte, error) {
	switch {
	case len(c.Seed) > 0 && c.SeedHex != "":
		return nil, newError(CodeInvalidArgument, "give Seed or SeedHex, not both")
	case len(c.Seed) > 0:
		return append([]byte(nil), c.Seed...), nil
	case c.SeedHex != "":
		b, err := hex.DecodeString(c.SeedHex)
		if err != nil {
			return nil, newError(CodeInvalidArgument, "SeedHex: "+err.Error())
		}
		return b, nil
	}
	return nil, newError(CodeInvalidArgument, "a seed is required (Seed or SeedHex)")
}

// logHandler is a slog.Handler that formats records as text lines for the
// host's Logger.
type logHandler struct {
	l     Logger
	attrs []slog.Attr
	group string
}

// Enabled implements slog.Handler: the host's Logger filters by level.
func (h *logHandler) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler: one line, message then key=value.
func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	write := func(a slog.Attr) {
		if a.Equal(slog.Attr{}) {
			return
		}
		b.WriteByte(' ')
		if h.group != "" {
			b.WriteString(h.group + ".")
		}
		fmt.Fprintf(&b, "%s=%v", a.Key, a.Value.Resolve())
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(func(a slog.Attr) bool { write(a); return true })
	h.l.Log(int32(r.Level), b.String())
	return nil
}

// WithAttrs implements slog.Handler.
func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

// WithGroup implements slog.Handler.
func (h *logHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}

// timeout returns a context for a call with a timeout in milliseconds; 0
// or less means no timeout (the call still ends when the node stops).
func timeout(ms int64) (context.Context, context.CancelFunc) {
	if ms <= 0 {
		return context.WithCancel(context.Background())
	}
	return context.WithTimeout(context.Background(), time.Duration(ms)*time.Millisecond)
}

// unixMs converts a time to unix milliseconds, 0 for the zero time.
func unixMs(t time.Time) int64 {
	if t.IsZero() || t.Unix() <= 0 {
		return 0
	}
	return t.UnixMilli()
}
