package peer

import (
	"github.com/lnkit/lnkit/wire"
)

// WriteMessage encodes m straight into the transport's frame buffer and
// sends it as one encrypted frame. It is safe for concurrent use; messages
// go out whole and in the order the calls acquire the transport.
//
// An encoding error, including a message longer than 65535 bytes, sends
// nothing and leaves the transport usable.
func (t *Transport) WriteMessage(m wire.Message) error {
	return t.AppendFrame(func(b []byte) ([]byte, error) {
		return wire.AppendMessage(b, m)
	})
}

// ReadMessage reads the next frame and decodes it with wire.DecodeMessage.
//
// A message of an unknown odd type comes back as a *wire.UnknownMessage
// with a nil error. An unknown even type returns the *wire.UnknownMessage
// together with an error wrapping wire.ErrUnknownEvenMessage, which BOLT 1
// says must end the connection; deciding that is the caller's job, as is
// handling a malformed message (a *wire.MessageError). Transport errors
// are those of ReadFrame.
func (t *Transport) ReadMessage() (wire.Message, error) {
	b, err := t.ReadFrame()
	if err != nil {
		return nil, err
	}
	return wire.DecodeMessage(b)
}
