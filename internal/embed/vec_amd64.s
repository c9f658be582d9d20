#include "textflag.h"

// func dotRows8(x, m *float32, rows *int32, nrows, n, n8 int, out *float32)
TEXT ·dotRows8(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ m+8(FP), DI
	MOVQ rows+16(FP), R8
	MOVQ nrows+24(FP), R9
	MOVQ n+32(FP), R10
	SHLQ $2, R10
	MOVQ n8+40(FP), CX
	SHLQ $2, CX
	MOVQ out+48(FP), DX

dotrow:
	TESTQ R9, R9
	JZ    dotdone
	MOVLQSX (R8), AX
	IMULQ R10, AX
	ADDQ  DI, AX
	VXORPS Y0, Y0, Y0
	XORQ  BX, BX

dotelem:
	VMOVUPS (SI)(BX*1), Y1
	VMULPS  (AX)(BX*1), Y1, Y1
	VADDPS  Y1, Y0, Y0
	ADDQ    $32, BX
	CMPQ    BX, CX
	JLT     dotelem

	// ((s0+s4)+(s2+s6)) + ((s1+s5)+(s3+s7)), as dotTail adds them.
	VEXTRACTF128 $1, Y0, X1
	VADDPS    X1, X0, X0
	VMOVHLPS  X0, X0, X1
	VADDPS    X1, X0, X0
	VMOVSHDUP X0, X1
	VADDSS    X1, X0, X0

	// Then the other elements' products one by one.
dottail:
	CMPQ   BX, R10
	JGE    dotstore
	VMOVSS (SI)(BX*1), X1
	VMULSS (AX)(BX*1), X1, X1
	VADDSS X1, X0, X0
	ADDQ   $4, BX
	JMP    dottail

dotstore:
	VMOVSS    X0, (DX)
	ADDQ $4, DX
	ADDQ $4, R8
	DECQ R9
	JMP  dotrow

dotdone:
	VZEROUPPER
	RET

// func axpy2Rows8(gs, l1, m *float32, rows *int32, nrows, n, n8 int, acc *float32)
TEXT ·axpy2Rows8(SB), NOSPLIT, $0-64
	MOVQ gs+0(FP), DX
	MOVQ l1+8(FP), SI
	MOVQ m+16(FP), DI
	MOVQ rows+24(FP), R8
	MOVQ nrows+32(FP), R9
	MOVQ n+40(FP), R10
	SHLQ $2, R10
	MOVQ n8+48(FP), CX
	SHLQ $2, CX
	MOVQ acc+56(FP), R11

axrow:
	TESTQ R9, R9
	JZ    axdone
	MOVLQSX (R8), AX
	IMULQ R10, AX
	ADDQ  DI, AX
	VBROADCASTSS (DX), Y0
	XORQ  BX, BX

axelem:
	VMOVUPS (AX)(BX*1), Y1
	VMULPS  Y0, Y1, Y2
	VADDPS  (R11)(BX*1), Y2, Y2
	VMOVUPS Y2, (R11)(BX*1)
	VMULPS  (SI)(BX*1), Y0, Y3
	VADDPS  Y3, Y1, Y1
	VMOVUPS Y1, (AX)(BX*1)
	ADDQ    $32, BX
	CMPQ    BX, CX
	JLT     axelem

axtail:
	CMPQ    BX, R10
	JGE     axnext
	VMOVSS  (AX)(BX*1), X1
	VMULSS  X0, X1, X2
	VADDSS  (R11)(BX*1), X2, X2
	VMOVSS  X2, (R11)(BX*1)
	VMULSS  (SI)(BX*1), X0, X3
	VADDSS  X3, X1, X1
	VMOVSS  X1, (AX)(BX*1)
	ADDQ    $4, BX
	JMP     axtail

axnext:
	ADDQ $4, DX
	ADDQ $4, R8
	DECQ R9
	JMP  axrow

axdone:
	VZEROUPPER
	RET

// func addTo4(x, y *float32, n int)
TEXT ·addTo4(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX

addloop:
	CMPQ   CX, $4
	JLT    adddone
	MOVUPS (SI), X1
	MOVUPS (DI), X2
	ADDPS  X1, X2
	MOVUPS X2, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DI
	SUBQ   $4, CX
	JMP    addloop

adddone:
	RET

// func prefetchRows(base *float32, rows *int32, n int, rowBytes int)
TEXT ·prefetchRows(SB), NOSPLIT, $0-32
	MOVQ base+0(FP), SI
	MOVQ rows+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ rowBytes+24(FP), DX

prefloop:
	TESTQ CX, CX
	JZ    prefdone
	MOVLQSX (DI), AX
	IMULQ DX, AX
	ADDQ  SI, AX
	XORQ  BX, BX

preflines:
	PREFETCHT0 (AX)(BX*1)
	ADDQ  $64, BX
	CMPQ  BX, DX
	JLT   preflines
	PREFETCHT0 -1(AX)(DX*1)
	ADDQ  $4, DI
	DECQ  CX
	JMP   prefloop

prefdone:
	RET
