package interop

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lightningnetwork/lnd/lnrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
)

// A few things lncli cannot do (a channel acceptor is a bidirectional
// stream) go through lnd's gRPC API, with its TLS certificate and admin
// macaroon from the lnd directory.

// grpcClient dials lnd's RPC port.
func (d *Lnd) grpcClient(t *testing.T) (lnrpc.LightningClient, context.Context) {
	t.Helper()
	creds, err := credentials.NewClientTLSFromFile(filepath.Join(d.Dir, "tls.cert"), "")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(d.RPCAddr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	mac, err := os.ReadFile(filepath.Join(d.Dir, "data", "chain", "bitcoin", "regtest", "admin.macaroon"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ctx = metadata.AppendToOutgoingContext(ctx, "macaroon", hex.EncodeToString(mac))
	return lnrpc.NewLightningClient(conn), ctx
}

// AcceptZeroConf registers a channel acceptor that accepts every channel
// and, for those that ask for it, zero-conf (lnd accepts zero-conf only
// through an acceptor that says so). It returns once lnd has the acceptor.
func (d *Lnd) AcceptZeroConf(t *testing.T) {
	t.Helper()
	c, ctx := d.grpcClient(t)
	stream, err := c.ChannelAcceptor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				return
			}
			resp := &lnrpc.ChannelAcceptResponse{Accept: true, PendingChanId: req.PendingChanId}
			if req.WantsZeroConf {
				resp.ZeroConf, resp.MinAcceptDepth = true, 0
			}
			if err := stream.Send(resp); err != nil {
				return
			}
		}
	}()
	// lnd logs the call before its handler adds the acceptor; a round
	// trip on the same connection after that line gives the handler its
	// moment.
	waitFor(t, 30*time.Second, "lnd runs the ChannelAcceptor call", func() error {
		if !strings.Contains(d.LogLines("ChannelAcceptor] requested"), "requested") {
			return errors.New("not yet")
		}
		return nil
	})
	gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.GetInfo(gctx, &lnrpc.GetInfoRequest{}); err != nil {
		t.Fatal(err)
	}
}
