package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, 3, time.Millisecond, nil); err != nil {
		t.Fatal(err, out.String())
	}
	s := out.String()
	t.Log("\n" + s)
	for _, want := range []string{
		"handshake and init done",
		// Both offer static_remotekey (alice requires it), var_onion,
		// payment_secret (required by both), basic_mpp, channel_type.
		"negotiated:   [var_onion_optin(8) option_static_remotekey(12) payment_secret(14) basic_mpp(17) option_channel_type(45)]",
		"alice hung up; bob sees: peer: remote closed the connection: EOF",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	rtts := regexp.MustCompile(`ping \d \(\d+ pong bytes\): rtt \S+`).FindAllString(s, -1)
	if len(rtts) != 3 {
		t.Errorf("want 3 ping lines, got %d", len(rtts))
	}
}
