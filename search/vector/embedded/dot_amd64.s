#include "textflag.h"

// func dotAVX2(a, b []float32) float32
//
// Pointers advance instead of using indexed addressing so that the FMA's
// memory operand stays micro-fused on Intel cores.
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ a_base+0(FP), SI
	MOVQ a_len+8(FP), CX
	MOVQ b_base+24(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ CX, DX
	SHRQ $5, DX             // DX = len / 32
	JZ   loop8start

loop32:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        DX
	JNZ         loop32

	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0

loop8start:
	MOVQ CX, DX
	ANDQ $31, DX
	SHRQ $3, DX             // DX = (len % 32) / 8
	JZ   reduce

loop8:
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        DX
	JNZ         loop8

reduce:
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0

	ANDQ $7, CX             // CX = len % 8
	JZ   done

tail:
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         tail

done:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func dot4AVX2(q, v []float32, out *[4]float32)
//
// out[j] = q·v[j*len(q):(j+1)*len(q)] for j < 4: each load of q feeds four
// FMAs, so an 8-float step reads 5 registers instead of 8. Two accumulators
// per vector (16 floats an iteration), an 8-float loop, a scalar tail.
TEXT ·dot4AVX2(SB), NOSPLIT, $0-56
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), CX
	MOVQ v_base+24(FP), DI
	MOVQ out+48(FP), AX
	LEAQ (DI)(CX*4), R8
	LEAQ (R8)(CX*4), R9
	LEAQ (R9)(CX*4), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	MOVQ CX, DX
	SHRQ $4, DX             // DX = len / 16
	JZ   d4loop8start

d4loop16:
	VMOVUPS     (SI), Y8
	VMOVUPS     32(SI), Y9
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS (R8), Y8, Y1
	VFMADD231PS (R9), Y8, Y2
	VFMADD231PS (R10), Y8, Y3
	VFMADD231PS 32(DI), Y9, Y4
	VFMADD231PS 32(R8), Y9, Y5
	VFMADD231PS 32(R9), Y9, Y6
	VFMADD231PS 32(R10), Y9, Y7
	ADDQ        $64, SI
	ADDQ        $64, DI
	ADDQ        $64, R8
	ADDQ        $64, R9
	ADDQ        $64, R10
	DECQ        DX
	JNZ         d4loop16

	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3

d4loop8start:
	TESTQ $8, CX
	JZ    d4reduce
	VMOVUPS     (SI), Y8
	VFMADD231PS (DI), Y8, Y0
	VFMADD231PS (R8), Y8, Y1
	VFMADD231PS (R9), Y8, Y2
	VFMADD231PS (R10), Y8, Y3
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, R8
	ADDQ        $32, R9
	ADDQ        $32, R10

d4reduce:
	// [v0 v1 v2 v3] sums in X0 via two horizontal adds and a lane fold.
	VHADDPS      Y1, Y0, Y0
	VHADDPS      Y3, Y2, Y2
	VHADDPS      Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0

	ANDQ $7, CX             // CX = len % 8
	JZ   d4done

d4tail:
	VBROADCASTSS (SI), X1
	VMOVSS       (DI), X2
	VINSERTPS    $0x10, (R8), X2, X2
	VINSERTPS    $0x20, (R9), X2, X2
	VINSERTPS    $0x30, (R10), X2, X2
	VFMADD231PS  X2, X1, X0
	ADDQ         $4, SI
	ADDQ         $4, DI
	ADDQ         $4, R8
	ADDQ         $4, R9
	ADDQ         $4, R10
	DECQ         CX
	JNZ          d4tail

d4done:
	VMOVUPS X0, (AX)
	VZEROUPPER
	RET

// func dotI8AVX2(q []int16, c []int8) int32
//
// Σ q[i]·c[i] for i < len(q): sixteen int8 codes are sign-extended to
// int16 and multiplied pairwise-added (VPMADDWD) against sixteen query
// words, two accumulators, then a 16-element step and a scalar tail.
// len(c) must be ≥ len(q). The caller keeps the sum within int32.
TEXT ·dotI8AVX2(SB), NOSPLIT, $0-52
	MOVQ  q_base+0(FP), SI
	MOVQ  q_len+8(FP), CX
	MOVQ  c_base+24(FP), DI
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	MOVQ  CX, DX
	SHRQ  $5, DX            // DX = len / 32
	JZ    i8step16

i8loop32:
	VPMOVSXBW (DI), Y2
	VPMOVSXBW 16(DI), Y3
	VPMADDWD  (SI), Y2, Y2
	VPMADDWD  32(SI), Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ      $64, SI
	ADDQ      $32, DI
	DECQ      DX
	JNZ       i8loop32

i8step16:
	TESTQ     $16, CX
	JZ        i8reduce
	VPMOVSXBW (DI), Y2
	VPMADDWD  (SI), Y2, Y2
	VPADDD    Y2, Y0, Y0
	ADDQ      $32, SI
	ADDQ      $16, DI

i8reduce:
	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, AX
	ANDQ         $15, CX    // CX = len % 16
	JZ           i8done

i8tail:
	MOVWLSX (SI), R8
	MOVBLSX (DI), R9
	IMULL   R9, R8
	ADDL    R8, AX
	ADDQ    $2, SI
	ADDQ    $1, DI
	DECQ    CX
	JNZ     i8tail

i8done:
	VZEROUPPER
	MOVL AX, ret+48(FP)
	RET

// func dotI8BatchAVX2(q []int16, c []int8, n int, out *int32)
//
// out[r] = Σ q[i]·c[r·len(q)+i] for r < n: dotI8AVX2's loop over n
// consecutive codes, without a call and a tail per record. len(q) must be
// a positive multiple of 32 and len(c) ≥ n·len(q).
TEXT ·dotI8BatchAVX2(SB), NOSPLIT, $0-64
	MOVQ  q_base+0(FP), SI
	MOVQ  q_len+8(FP), CX
	MOVQ  c_base+24(FP), DI
	MOVQ  n+48(FP), BX
	MOVQ  out+56(FP), R8
	SHRQ  $5, CX            // CX = len / 32
	TESTQ BX, BX
	JZ    bdone

brec:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	MOVQ  SI, R9
	MOVQ  CX, DX

bloop:
	VPMOVSXBW (DI), Y2
	VPMOVSXBW 16(DI), Y3
	VPMADDWD  (R9), Y2, Y2
	VPMADDWD  32(R9), Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ      $64, R9
	ADDQ      $32, DI
	DECQ      DX
	JNZ       bloop

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	VMOVD        X0, (R8)
	ADDQ         $4, R8
	DECQ         BX
	JNZ          brec

bdone:
	VZEROUPPER
	RET
