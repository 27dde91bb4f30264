// Package peer implements the Lightning peer connection: the BOLT 8
// Noise_XK_secp256k1_ChaChaPoly_SHA256 transport over any net.Conn, and
// the BOLT 1 connection on top of it.
package peer
