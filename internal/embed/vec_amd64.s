#include "textflag.h"

// func dot4(a, b *float32, n int, s *[4]float32)
TEXT ·dot4(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ s+24(FP), DX
	XORPS X0, X0

dotloop:
	CMPQ CX, $4
	JLT  dotdone
	MOVUPS (SI), X1
	MOVUPS (DI), X2
	MULPS  X2, X1
	ADDPS  X1, X0
	ADDQ   $16, SI
	ADDQ   $16, DI
	SUBQ   $4, CX
	JMP    dotloop

dotdone:
	MOVUPS X0, (DX)
	RET

// func axpy2x4(scale float32, l1, l2, acc *float32, n int)
TEXT ·axpy2x4(SB), NOSPLIT, $0-40
	MOVSS  scale+0(FP), X0
	SHUFPS $0, X0, X0
	MOVQ   l1+8(FP), SI
	MOVQ   l2+16(FP), DI
	MOVQ   acc+24(FP), DX
	MOVQ   n+32(FP), CX

axpyloop:
	CMPQ   CX, $4
	JLT    axpydone
	MOVUPS (DI), X1
	MOVUPS (DX), X2
	MOVAPS X1, X3
	MULPS  X0, X3
	ADDPS  X3, X2
	MOVUPS X2, (DX)
	MOVUPS (SI), X4
	MULPS  X0, X4
	ADDPS  X4, X1
	MOVUPS X1, (DI)
	ADDQ   $16, SI
	ADDQ   $16, DI
	ADDQ   $16, DX
	SUBQ   $4, CX
	JMP    axpyloop

axpydone:
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
