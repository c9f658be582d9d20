package bz2

// bzip2's CRC is CRC-32 with the polynomial 0x04c11db7 taken most significant bit
// first (not reflected, unlike the CRC-32 of gzip and zip), starting from all ones and
// inverted at the end. crcTable[k] advances the register over k+1 bytes at once
// (slicing by eight).
var crcTable = func() (t [8][256]uint32) {
	for i := range t[0] {
		c := uint32(i) << 24
		for k := 0; k < 8; k++ {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04c11db7
			} else {
				c <<= 1
			}
		}
		t[0][i] = c
	}
	for i := range t[0] {
		c := t[0][i]
		for k := 1; k < 8; k++ {
			c = c<<8 ^ t[0][c>>24]
			t[k][i] = c
		}
	}
	return t
}()

// blockCRC returns the bzip2 CRC of a block's output.
func blockCRC(p []byte) uint32 {
	c := ^uint32(0)
	for len(p) >= 8 {
		c ^= uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])
		c = crcTable[7][c>>24] ^ crcTable[6][c>>16&0xff] ^ crcTable[5][c>>8&0xff] ^ crcTable[4][c&0xff] ^
			crcTable[3][p[4]] ^ crcTable[2][p[5]] ^ crcTable[1][p[6]] ^ crcTable[0][p[7]]
		p = p[8:]
	}
	for _, b := range p {
		c = c<<8 ^ crcTable[0][byte(c>>24)^b]
	}
	return ^c
}
