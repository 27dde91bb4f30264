// Command wiredump decodes Lightning messages and prints their fields.
//
// Input is either hex, one message per line (blank lines and lines starting
// with '#' are skipped), or one raw binary message. It comes from the file
// named as the only argument, or from standard input:
//
//	echo 00120004000400000000 | go run ./examples/wiredump
//	go run ./examples/wiredump message.bin
//
// Feature vectors are printed with the names of their known bits, and
// unknown odd TLV records are listed by type. A message that does not decode
// is reported with the reason and the program exits with status 1.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/wire"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	in := stdin
	switch len(args) {
	case 0:
	case 1:
		f, err := os.Open(args[0])
		if err != nil {
			fmt.Fprintln(stderr, "wiredump:", err)
			return 2
		}
		defer f.Close()
		in = f
	default:
		fmt.Fprintln(stderr, "usage: wiredump [file]  (hex lines or one raw message; stdin if no file)")
		return 2
	}
	data, err := io.ReadAll(io.LimitReader(in, 16<<20))
	if err != nil {
		fmt.Fprintln(stderr, "wiredump:", err)
		return 2
	}
	msgs, err := split(data)
	if err != nil {
		fmt.Fprintln(stderr, "wiredump:", err)
		return 1
	}
	if len(msgs) == 0 {
		fmt.Fprintln(stderr, "wiredump: no input")
		return 1
	}
	status := 0
	for i, raw := range msgs {
		msg, err := wire.DecodeMessage(raw)
		if err != nil {
			fmt.Fprintf(stderr, "wiredump: message %d: %v\n", i+1, err)
			status = 1
			continue
		}
		dump(stdout, msg)
	}
	return status
}

// split turns the input into messages: hex lines if every non-comment line
// is hex, otherwise the whole input as one raw message.
func split(data []byte) ([][]byte, error) {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 2*wire.MaxMessageSize+16)
	allHex := true
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		s = strings.TrimPrefix(s, "0x")
		b, err := hex.DecodeString(s)
		if err != nil {
			allHex = false
			break
		}
		out = append(out, b)
	}
	if sc.Err() != nil || !allHex {
		if len(data) > wire.MaxMessageSize {
			return nil, fmt.Errorf("input is neither hex lines nor a single message (%d bytes > %d)", len(data), wire.MaxMessageSize)
		}
		return [][]byte{data}, nil
	}
	return out, nil
}

var (
	typFeatures = reflect.TypeOf(wire.FeatureVector{})
	typExtra    = reflect.TypeOf(wire.ExtraTLVs{})
	typHash     = reflect.TypeOf(chainhash.Hash{})
)

// dump prints a message's fields, one per line.
func dump(w io.Writer, m wire.Message) {
	fmt.Fprintf(w, "%s (type %d)\n", m.MsgType(), uint16(m.MsgType()))
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		printField(w, "  ", f.Name, v.Field(i))
	}
}

func printField(w io.Writer, indent, name string, v reflect.Value) {
	switch {
	case v.Type() == typExtra:
		for _, r := range v.Interface().(wire.ExtraTLVs) {
			fmt.Fprintf(w, "%sunknown odd TLV %d: %x\n", indent, r.Type, r.Value)
		}
		return
	case v.Type() == typFeatures:
		fv := v.Interface().(wire.FeatureVector)
		fmt.Fprintf(w, "%s%s: %x %v\n", indent, name, []byte(fv), fv)
		return
	case v.Type() == typHash:
		h := v.Interface().(chainhash.Hash)
		fmt.Fprintf(w, "%s%s: %x\n", indent, name, h[:])
		return
	}
	if st, ok := v.Interface().(fmt.Stringer); ok && v.Kind() != reflect.Pointer && v.Kind() != reflect.Slice {
		fmt.Fprintf(w, "%s%s: %s\n", indent, name, st)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return // absent optional TLV
		}
		printField(w, indent, name, v.Elem())
	case reflect.Array, reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Kind() == reflect.Slice && v.Len() == 0 {
				fmt.Fprintf(w, "%s%s: (empty)\n", indent, name)
				return
			}
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			if len(b) > 64 {
				fmt.Fprintf(w, "%s%s: %d bytes %x...\n", indent, name, len(b), b[:32])
			} else {
				fmt.Fprintf(w, "%s%s: %x\n", indent, name, b)
			}
			return
		}
		fmt.Fprintf(w, "%s%s: %d entries\n", indent, name, v.Len())
		for i := 0; i < v.Len(); i++ {
			printField(w, indent+"  ", fmt.Sprintf("[%d]", i), v.Index(i))
		}
	case reflect.Struct:
		fmt.Fprintf(w, "%s%s:\n", indent, name)
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				printField(w, indent+"  ", v.Type().Field(i).Name, v.Field(i))
			}
		}
	default:
		fmt.Fprintf(w, "%s%s: %v\n", indent, name, v.Interface())
	}
}
