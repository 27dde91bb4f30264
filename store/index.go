package store

import "strings"

// index is the in-memory ordered key space shared by Memory and File: a skip
// list keyed by string, compared bytewise (Go's string comparison). It is
// not safe for concurrent use; its owners guard it with a lock.
type index struct {
	head  node
	level int    // levels in use, 1..maxLevel
	rnd   uint64 // xorshift state for node heights
	n     int    // number of keys
	bytes int64  // sum of key and value lengths
}

const (
	maxLevel = 20 // enough for 4^20 keys with p = 1/4
)

type node struct {
	key   string
	value []byte
	next  []*node
}

func newIndex() *index {
	return &index{head: node{next: make([]*node, maxLevel)}, level: 1, rnd: 0x9E3779B97F4A7C15}
}

func (x *index) randomLevel() int {
	l := 1
	for l < maxLevel {
		x.rnd ^= x.rnd << 13
		x.rnd ^= x.rnd >> 7
		x.rnd ^= x.rnd << 17
		if x.rnd&3 != 0 {
			break
		}
		l++
	}
	return l
}

// seek returns the first node whose key is >= key, filling prev (if not
// nil) with the last node before it at each level.
func (x *index) seek(key string, prev *[maxLevel]*node) *node {
	p := &x.head
	for l := x.level - 1; l >= 0; l-- {
		for q := p.next[l]; q != nil && q.key < key; q = p.next[l] {
			p = q
		}
		if prev != nil {
			prev[l] = p
		}
	}
	return p.next[0]
}

// get returns the stored value (not a copy) under key.
func (x *index) get(key string) ([]byte, bool) {
	n := x.seek(key, nil)
	if n == nil || n.key != key {
		return nil, false
	}
	return n.value, true
}

// put stores value under key, keeping the slice (the caller gives up
// ownership).
func (x *index) put(key string, value []byte) {
	var prev [maxLevel]*node
	n := x.seek(key, &prev)
	if n != nil && n.key == key {
		x.bytes += int64(len(value)) - int64(len(n.value))
		n.value = value
		return
	}
	l := x.randomLevel()
	for x.level < l {
		prev[x.level] = &x.head
		x.level++
	}
	n = &node{key: key, value: value, next: make([]*node, l)}
	for i := 0; i < l; i++ {
		n.next[i] = prev[i].next[i]
		prev[i].next[i] = n
	}
	x.n++
	x.bytes += int64(len(key) + len(value))
}

// delete removes key if present.
func (x *index) delete(key string) {
	var prev [maxLevel]*node
	n := x.seek(key, &prev)
	if n == nil || n.key != key {
		return
	}
	for i := range n.next {
		prev[i].next[i] = n.next[i]
	}
	for x.level > 1 && x.head.next[x.level-1] == nil {
		x.level--
	}
	x.n--
	x.bytes -= int64(len(key) + len(n.value))
}

// apply applies ops in order, copying put values.
func (x *index) apply(ops []Op) {
	for _, op := range ops {
		if op.Delete {
			x.delete(op.Key)
			continue
		}
		v := make([]byte, len(op.Value))
		copy(v, op.Value)
		x.put(op.Key, v)
	}
}

// list returns the keys that start with prefix, in order.
func (x *index) list(prefix string) []string {
	keys := []string{}
	for n := x.seek(prefix, nil); n != nil && strings.HasPrefix(n.key, prefix); n = n.next[0] {
		keys = append(keys, n.key)
	}
	return keys
}

// first returns the first node in order, for iteration along next[0].
func (x *index) first() *node { return x.head.next[0] }
