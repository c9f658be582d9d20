package dictionaries

import (
	"bytes"
	"encoding/binary"
	"strings"
)

// anchorTrie holds the anchors (of at most maxNgram words) as a trie over word ids, for
// counting their occurrences in text: a text word is looked up once, and an n-gram grows
// one word at a time until no anchor starts with it.
//
// Words and edges live in open-addressing tables of our own rather than Go maps: a word
// is hashed while the line is split, and a probe touches one slot, which holds the
// word's length and first eight bytes (longer words are compared in full), where the
// map also follows the key's string header. Each node keeps a mask of its children's
// word ids (modulo 32), so that most n-grams that go no further stop without a probe.
type anchorTrie struct {
	// Words, with ids from 1.
	wordSlots []wordSlot
	wordMask  uint64
	arena     []byte   // the words' bytes
	ends      []uint32 // word id i is arena[ends[i-1]:ends[i]]; ends[0] = 0

	root []uint32 // the node of the one-word n-gram of each word id (0: none)

	words int // number of words

	// Edges below the first word: (node, word id) -> child node.
	edgeSlots []edge
	edgeMask  uint64
	edges     int

	// Each node (node 0 is the root): in the low 32 bits its anchor's index + 1 (0:
	// none), in the high 32 bits bit id%32 for each child's word id.
	nodes []uint64
}

// wordSlot is a slot of the word table: tag is the hash's high 24 bits, the word's
// length (up to 255) in the low 8, and the id (0: empty); head the word's first eight
// bytes, little-endian, zero-padded.
type wordSlot struct {
	tagID uint64 // tag<<32 | id
	head  uint64
}

func wordTag(w []byte, h uint64) uint64 { return h>>32&^0xff | uint64(min(len(w), 255)) }

func wordHead(w []byte) uint64 {
	if len(w) >= 8 {
		return binary.LittleEndian.Uint64(w)
	}
	var x uint64
	for i := len(w) - 1; i >= 0; i-- {
		x = x<<8 | uint64(w[i])
	}
	return x
}

// edge is a slot of the edge table: key node<<32 | word id (0: empty; node 0, the
// root, has no edges there), and the child. Key and child share a cache line.
type edge struct {
	key   uint64
	child uint32
}

// Word hashing: FNV-1a over the bytes, folded.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashWord(w []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range w {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return h ^ h>>29
}

// newAnchorTrie builds the trie of the anchors in index (anchor -> its index).
func newAnchorTrie(index map[string]int) *anchorTrie {
	// The tables start small and double when half full: small tables stay in the
	// caches while the text is counted.
	t := &anchorTrie{
		wordSlots: make([]wordSlot, 1<<10), wordMask: 1<<10 - 1,
		edgeSlots: make([]edge, 1<<10), edgeMask: 1<<10 - 1,
		ends:  []uint32{0},
		root:  []uint32{0},
		nodes: []uint64{0},
	}
	// (Node numbers depend on the map's order; the counts do not.)
	for a, k := range index {
		ws := strings.Split(a, " ")
		if len(ws) > maxNgram {
			continue
		}
		node := uint32(0)
		for depth, w := range ws {
			id := t.addWord([]byte(w))
			if depth == 0 {
				if t.root[id] == 0 {
					t.root[id] = t.newNode()
				}
				node = t.root[id]
				continue
			}
			node = t.addEdge(node, id)
		}
		t.nodes[node] |= uint64(k) + 1
	}
	return t
}

func (t *anchorTrie) newNode() uint32 {
	t.nodes = append(t.nodes, 0)
	return uint32(len(t.nodes) - 1)
}

// word returns the id of w (hash h), or 0.
func (t *anchorTrie) word(w []byte, h uint64) uint32 {
	tag, head := wordTag(w, h), wordHead(w)
	for i := h & t.wordMask; ; i = (i + 1) & t.wordMask {
		s := &t.wordSlots[i]
		if s.tagID == 0 {
			return 0
		}
		if s.tagID>>32 == tag && s.head == head {
			id := uint32(s.tagID)
			if len(w) <= 8 || bytes.Equal(t.arena[t.ends[id-1]:t.ends[id]], w) {
				return id
			}
		}
	}
}

func (t *anchorTrie) addWord(w []byte) uint32 {
	h := hashWord(w)
	if id := t.word(w, h); id != 0 {
		return id
	}
	if 2*(t.words+1) > len(t.wordSlots) {
		t.growWords()
	}
	t.arena = append(t.arena, w...)
	t.ends = append(t.ends, uint32(len(t.arena)))
	t.root = append(t.root, 0)
	id := uint32(len(t.ends) - 1)
	t.putWord(h, id)
	t.words++
	return id
}

func (t *anchorTrie) putWord(h uint64, id uint32) {
	w := t.arena[t.ends[id-1]:t.ends[id]]
	i := h & t.wordMask
	for t.wordSlots[i].tagID != 0 {
		i = (i + 1) & t.wordMask
	}
	t.wordSlots[i] = wordSlot{wordTag(w, h)<<32 | uint64(id), wordHead(w)}
}

func (t *anchorTrie) growWords() {
	t.wordSlots = make([]wordSlot, 2*len(t.wordSlots))
	t.wordMask = uint64(len(t.wordSlots) - 1)
	for id := uint32(1); id < uint32(len(t.ends)); id++ {
		t.putWord(hashWord(t.arena[t.ends[id-1]:t.ends[id]]), id)
	}
}

func edgeHash(key uint64) uint64 {
	key *= 0x9e3779b97f4a7c15
	return key ^ key>>32
}

// child returns the node below node by word id, or 0.
func (t *anchorTrie) child(node, id uint32) uint32 {
	key := uint64(node)<<32 | uint64(id)
	for i := edgeHash(key) & t.edgeMask; ; i = (i + 1) & t.edgeMask {
		switch e := t.edgeSlots[i]; e.key {
		case key:
			return e.child
		case 0:
			return 0
		}
	}
}

func (t *anchorTrie) addEdge(node, id uint32) uint32 {
	if c := t.child(node, id); c != 0 {
		return c
	}
	if 2*(t.edges+1) > len(t.edgeSlots) {
		old := t.edgeSlots
		t.edgeSlots = make([]edge, 2*len(old))
		t.edgeMask = uint64(len(t.edgeSlots) - 1)
		for _, e := range old {
			if e.key != 0 {
				t.putEdge(e)
			}
		}
	}
	c := t.newNode()
	t.nodes[node] |= 1 << (32 + id%32)
	t.putEdge(edge{uint64(node)<<32 | uint64(id), c})
	t.edges++
	return c
}

func (t *anchorTrie) putEdge(e edge) {
	i := edgeHash(e.key) & t.edgeMask
	for t.edgeSlots[i].key != 0 {
		i = (i + 1) & t.edgeMask
	}
	t.edgeSlots[i] = e
}

// countLine adds to counts the occurrences of the anchors in one chunk (words separated
// by single spaces). ids is scratch space, returned for reuse.
func (t *anchorTrie) countLine(line []byte, counts []int64, ids []uint32) []uint32 {
	ids = ids[:0]
	for len(line) > 0 {
		// Split and hash in one pass over the bytes.
		h, j := uint64(fnvOffset), 0
		for ; j < len(line) && line[j] != ' '; j++ {
			h = (h ^ uint64(line[j])) * fnvPrime
		}
		if j > 0 {
			ids = append(ids, t.word(line[:j], h^h>>29))
		}
		if j == len(line) {
			break
		}
		line = line[j+1:]
	}
	for s, id := range ids {
		if id == 0 {
			continue
		}
		node := t.root[id]
		if node == 0 {
			continue
		}
		info := t.nodes[node]
		if a := uint32(info); a != 0 {
			counts[a-1]++
		}
		for _, id := range ids[s+1 : min(s+maxNgram, len(ids))] {
			if id == 0 || info&(1<<(32+id%32)) == 0 {
				break
			}
			if node = t.child(node, id); node == 0 {
				break
			}
			info = t.nodes[node]
			if a := uint32(info); a != 0 {
				counts[a-1]++
			}
		}
	}
	return ids
}
