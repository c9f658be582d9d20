package wikitext

// A routeTable holds the outcomes of style runs by position and context: a hash table
// with open addressing, as the runs of a page full of them are many (a Go map of
// styleRoute keys spent most of the time of such pages hashing and growing).
type routeTable struct {
	keys    []uint64 // key + 1 of each slot; 0: empty
	at      []int32  // the slot's result in results
	results []styleResult
	shift   uint // 64 - log2(len(keys))
}

func routeKey(r styleRoute) uint64 { return uint64(r.pos)<<8 | uint64(r.ctx) + 1 }

// slot returns where k is, or the empty slot where it goes.
func (t *routeTable) slot(k uint64) int {
	mask := len(t.keys) - 1
	for i := int(k * 0x9E3779B97F4A7C15 >> t.shift); ; i = (i + 1) & mask {
		if t.keys[i] == k || t.keys[i] == 0 {
			return i
		}
	}
}

func (t *routeTable) get(r styleRoute) (styleResult, bool) {
	if len(t.keys) == 0 {
		return styleResult{}, false
	}
	i := t.slot(routeKey(r))
	if t.keys[i] == 0 {
		return styleResult{}, false
	}
	return t.results[t.at[i]], true
}

func (t *routeTable) put(r styleRoute, v styleResult) {
	if 2*(len(t.results)+1) > len(t.keys) {
		t.grow()
	}
	k := routeKey(r)
	i := t.slot(k)
	if t.keys[i] == k {
		t.results[t.at[i]] = v
		return
	}
	t.keys[i], t.at[i] = k, int32(len(t.results))
	t.results = append(t.results, v)
}

// grow doubles the table (it starts at 16 slots) and puts the keys back.
func (t *routeTable) grow() {
	n := max(16, 2*len(t.keys))
	keys, at := t.keys, t.at
	t.keys, t.at = make([]uint64, n), make([]int32, n)
	t.shift = 64
	for m := n; m > 1; m >>= 1 {
		t.shift--
	}
	for j, k := range keys {
		if k != 0 {
			i := t.slot(k)
			t.keys[i], t.at[i] = k, at[j]
		}
	}
}
