#include "textflag.h"

// func blockMasksAVX2(src *byte, n int, out *blockMask)
//
// For each of n 64-byte blocks at src, writes to out the five masks of
// blockMask (quote, bs, brack, den, comma): bit i set when byte i is '"',
// '\\', one of { } [ ] (a byte whose value ORed with 0x20 is '{' or '}'),
// one of d e n, or ','.
TEXT ·blockMasksAVX2(SB), NOSPLIT, $0-24
	MOVQ src+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	TESTQ CX, CX
	JZ   done

	MOVQ $0x22, AX
	VMOVQ AX, X0
	VPBROADCASTB X0, Y0 // '"'
	MOVQ $0x5c, AX
	VMOVQ AX, X1
	VPBROADCASTB X1, Y1 // '\\'
	MOVQ $0x20, AX
	VMOVQ AX, X2
	VPBROADCASTB X2, Y2 // 0x20
	MOVQ $0x7b, AX
	VMOVQ AX, X3
	VPBROADCASTB X3, Y3 // '{' ('[' | 0x20)
	MOVQ $0x7d, AX
	VMOVQ AX, X4
	VPBROADCASTB X4, Y4 // '}' (']' | 0x20)
	MOVQ $0x64, AX
	VMOVQ AX, X5
	VPBROADCASTB X5, Y5 // 'd'
	MOVQ $0x65, AX
	VMOVQ AX, X6
	VPBROADCASTB X6, Y6 // 'e'
	MOVQ $0x6e, AX
	VMOVQ AX, X7
	VPBROADCASTB X7, Y7 // 'n'
	MOVQ $0x2c, AX
	VMOVQ AX, X14
	VPBROADCASTB X14, Y14 // ','

loop:
	VMOVDQU (SI), Y8
	VMOVDQU 32(SI), Y9

	// quote
	VPCMPEQB  Y0, Y8, Y10
	VPCMPEQB  Y0, Y9, Y11
	VPMOVMSKB Y10, AX
	VPMOVMSKB Y11, BX
	SHLQ      $32, BX
	ORQ       BX, AX
	MOVQ      AX, 0(DI)

	// bs
	VPCMPEQB  Y1, Y8, Y10
	VPCMPEQB  Y1, Y9, Y11
	VPMOVMSKB Y10, AX
	VPMOVMSKB Y11, BX
	SHLQ      $32, BX
	ORQ       BX, AX
	MOVQ      AX, 8(DI)

	// brack
	VPOR      Y2, Y8, Y12
	VPCMPEQB  Y3, Y12, Y10
	VPCMPEQB  Y4, Y12, Y12
	VPOR      Y12, Y10, Y10
	VPOR      Y2, Y9, Y13
	VPCMPEQB  Y3, Y13, Y11
	VPCMPEQB  Y4, Y13, Y13
	VPOR      Y13, Y11, Y11
	VPMOVMSKB Y10, AX
	VPMOVMSKB Y11, BX
	SHLQ      $32, BX
	ORQ       BX, AX
	MOVQ      AX, 16(DI)

	// den
	VPCMPEQB  Y5, Y8, Y10
	VPCMPEQB  Y6, Y8, Y12
	VPOR      Y12, Y10, Y10
	VPCMPEQB  Y7, Y8, Y12
	VPOR      Y12, Y10, Y10
	VPCMPEQB  Y5, Y9, Y11
	VPCMPEQB  Y6, Y9, Y13
	VPOR      Y13, Y11, Y11
	VPCMPEQB  Y7, Y9, Y13
	VPOR      Y13, Y11, Y11
	VPMOVMSKB Y10, AX
	VPMOVMSKB Y11, BX
	SHLQ      $32, BX
	ORQ       BX, AX
	MOVQ      AX, 24(DI)

	// comma
	VPCMPEQB  Y14, Y8, Y10
	VPCMPEQB  Y14, Y9, Y11
	VPMOVMSKB Y10, AX
	VPMOVMSKB Y11, BX
	SHLQ      $32, BX
	ORQ       BX, AX
	MOVQ      AX, 32(DI)

	ADDQ $64, SI
	ADDQ $40, DI
	DECQ CX
	JNZ  loop
	VZEROUPPER

done:
	RET
