package wire

import "fmt"

func init() {
	register(MsgInit, "init", func() Message { return new(Init) })
}

// TLV types of the init extension (BOLT 1, "The init Message").
const (
	// TLVInitNetworks lists the chains the node is interested in.
	TLVInitNetworks = 1
	// TLVInitRemoteAddr carries the address the sender sees the receiver
	// connecting from.
	TLVInitRemoteAddr = 3
)

// Init is the first message on every connection: it announces the sender's
// features (BOLT 1, "The init Message").
type Init struct {
	// GlobalFeatures is the legacy globalfeatures field. BOLT 1 says a
	// receiver ORs it into Features; senders should set no bit above 13
	// here. AllFeatures returns the combined set.
	GlobalFeatures FeatureVector
	// Features is the features field.
	Features FeatureVector

	// Networks is the networks TLV: the chains the node gossips and opens
	// channels on. Nil when the TLV is absent; a non-nil empty slice is a
	// TLV with no chains.
	Networks []ChainHash
	// RemoteAddr is the remote_addr TLV: the address the sender sees for
	// the receiver, which helps a node behind NAT learn its public
	// address. Nil when absent. A descriptor of unknown type is kept with
	// its raw bytes.
	RemoteAddr *NetAddress

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*Init) MsgType() MessageType { return MsgInit }

// AllFeatures returns the union of GlobalFeatures and Features, which is
// the feature set BOLT 1 tells a receiver to act on.
func (m *Init) AllFeatures() FeatureVector { return m.GlobalFeatures.Union(m.Features) }

// AppendPayload implements Message.
func (m *Init) AppendPayload(b []byte) ([]byte, error) {
	b, err := AppendFeatureVector(b, m.GlobalFeatures)
	if err != nil {
		return b, fmt.Errorf("globalfeatures: %w", err)
	}
	if b, err = AppendFeatureVector(b, m.Features); err != nil {
		return b, fmt.Errorf("features: %w", err)
	}
	w := NewTLVWriter(b, m.Extra)
	if m.Networks != nil {
		w.Func(TLVInitNetworks, func(b []byte) []byte {
			for i := range m.Networks {
				b = append(b, m.Networks[i][:]...)
			}
			return b
		})
	}
	if m.RemoteAddr != nil {
		if _, err := m.RemoteAddr.encodedLen(); err != nil {
			return b, fmt.Errorf("remote_addr: %w", err)
		}
		w.Func(TLVInitRemoteAddr, func(b []byte) []byte {
			b, _ = AppendNetAddress(b, *m.RemoteAddr)
			return b
		})
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *Init) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.GlobalFeatures = r.FeatureVector("globalfeatures")
	m.Features = r.FeatureVector("features")
	m.Networks, m.RemoteAddr, m.Extra = nil, nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVInitNetworks:
			v := tr.Value()
			if len(v)%len(ChainHash{}) != 0 {
				tr.FailValue("want whole 32-byte chain hashes")
				break
			}
			m.Networks = make([]ChainHash, len(v)/len(ChainHash{}))
			for i := range m.Networks {
				copy(m.Networks[i][:], v[i*len(ChainHash{}):])
			}
		case TLVInitRemoteAddr:
			m.RemoteAddr = tlvNetAddress(&tr)
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}

// tlvNetAddress decodes the current record as exactly one address
// descriptor (one of unknown type takes the whole value).
func tlvNetAddress(tr *TLVReader) *NetAddress {
	v := tr.Value()
	a, n, err := decodeNetAddress(v)
	if err != nil {
		tr.Fail(fmt.Errorf("%w: type %d: %w", ErrTLVValue, tr.Type(), err))
		return nil
	}
	if n != len(v) {
		tr.FailValue(fmt.Sprintf("%d bytes after the %s address descriptor", len(v)-n, a.Type))
		return nil
	}
	// Copy the address bytes so that the message keeps no reference to
	// the input; a nil Addr stays nil.
	if a.Addr != nil {
		a.Addr = append([]byte(nil), a.Addr...)
	}
	return &a
}
