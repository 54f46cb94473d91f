;; Scoring kernels of the embedded store, WebAssembly SIMD (f32x4).
;;
;; The collection's vector slab lives in the imported memory (row r at slab + r * dims * 4),
;; so the kernels read it in place. Scores are written as f32 to `out`, one per row scored.
;; Two 4-lane accumulators hide the add latency; a scalar loop takes the last dims % 8.
;;
;; Assembled by scripts/build-kernels.mjs into kernels-wasm.ts (base64); a test checks the
;; committed bytes are what this file assembles to.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Dot product of the n floats at a and b.
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $i i32) (local $end i32) (local $s f32)
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $acc0
          (f32x4.add (local.get $acc0)
            (f32x4.mul
              (v128.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
              (v128.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $acc1
          (f32x4.add (local.get $acc1)
            (f32x4.mul
              (v128.load offset=16 (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
              (v128.load offset=16 (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $vec)))
    (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
    (local.set $s
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s
          (f32.add (local.get $s)
            (f32.mul
              (f32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
              (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $s))

  ;; Squared Euclidean distance of the n floats at a and b.
  (func $l2sq (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $acc0 v128) (local $acc1 v128) (local $d v128) (local $i i32) (local $end i32)
    (local $s f32) (local $x f32)
    (local.set $end (i32.and (local.get $n) (i32.const -8)))
    (block $done
      (loop $vec
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $d
          (f32x4.sub
            (v128.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
            (v128.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $d
          (f32x4.sub
            (v128.load offset=16 (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
            (v128.load offset=16 (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $vec)))
    (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
    (local.set $s
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x
          (f32.sub
            (f32.load (i32.add (local.get $a) (i32.shl (local.get $i) (i32.const 2))))
            (f32.load (i32.add (local.get $b) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $x) (local.get $x))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $s))

  ;; The n rows listed (i32) at slots against the query; out[i] = score of slots[i].
  (func (export "score_slots")
    (param $slab i32) (param $q i32) (param $dims i32) (param $slots i32) (param $n i32)
    (param $out i32) (param $metric i32)
    (local $end i32) (local $row i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $dims) (i32.const 2)))
    (local.set $end (i32.add (local.get $slots) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $slots) (local.get $end)))
        (local.set $row
          (i32.add (local.get $slab) (i32.mul (i32.load (local.get $slots)) (local.get $rowBytes))))
        (f32.store (local.get $out)
          (if (result f32) (local.get $metric)
            (then (call $l2sq (local.get $row) (local.get $q) (local.get $dims)))
            (else (call $dot (local.get $row) (local.get $q) (local.get $dims)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $slots (i32.add (local.get $slots) (i32.const 4)))
        (br $rows)))))
