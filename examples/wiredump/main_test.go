package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDumpHexLines(t *testing.T) {
	var out, errb bytes.Buffer
	in := "# a ping and a pong\n00120004000400000000\n\n0013000400000000\n"
	require.Equal(t, 0, run(nil, strings.NewReader(in), &out, &errb), errb.String())
	require.Contains(t, out.String(), "ping (type 18)\n  NumPongBytes: 4\n  Padding: 00000000\n")
	require.Contains(t, out.String(), "pong (type 19)\n  Padding: 00000000\n")
}

func TestDumpUnknownOddTLV(t *testing.T) {
	var out, errb bytes.Buffer
	// A pong with an unknown odd TLV record (type 3) in its extension.
	require.Equal(t, 0, run(nil, strings.NewReader("00130000030101"), &out, &errb), errb.String())
	require.Contains(t, out.String(), "unknown odd TLV 3: 01")
}

func TestDumpRawFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ping.bin")
	require.NoError(t, os.WriteFile(path, []byte{0x00, 0x12, 0x00, 0x01, 0x00, 0x00, 0xff}, 0o600))
	var out, errb bytes.Buffer
	// The trailing 0xff is a truncated TLV record, so this must fail...
	require.Equal(t, 1, run([]string{path}, nil, &out, &errb))
	require.Contains(t, errb.String(), "ping")
	// ...and without it the raw message decodes.
	require.NoError(t, os.WriteFile(path, []byte{0x00, 0x12, 0x00, 0x01, 0x00, 0x00}, 0o600))
	out.Reset()
	errb.Reset()
	require.Equal(t, 0, run([]string{path}, nil, &out, &errb), errb.String())
	require.Contains(t, out.String(), "NumPongBytes: 1")
}

func TestDumpErrors(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 1, run(nil, strings.NewReader("0012"), &out, &errb))
	require.Contains(t, errb.String(), "message 1: wire: ping")
	errb.Reset()
	require.Equal(t, 1, run(nil, strings.NewReader("ab00"), &out, &errb))
	require.Contains(t, errb.String(), "unknown even message type")
	errb.Reset()
	require.Equal(t, 1, run(nil, strings.NewReader(""), &out, &errb))
	require.Contains(t, errb.String(), "no input")
	errb.Reset()
	require.Equal(t, 2, run([]string{"/nonexistent/x"}, nil, &out, &errb))
}
