package invoice

import (
	"crypto/sha256"
	"fmt"
)

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

func typeName(v any) string { return fmt.Sprintf("%T", v) }
