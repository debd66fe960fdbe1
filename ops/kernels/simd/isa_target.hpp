// Compiles a region of a file for a wider instruction set, with GCC and with clang:
//
//   TG_ISA_TARGET_BEGIN("avx2,fma")
//   ... functions built for AVX2 + FMA ...
//   TG_ISA_TARGET_END
//
// GCC takes `#pragma GCC target`, which clang ignores; clang takes a pushed target
// attribute, which GCC does not know. Either way every function declared in the region
// (including those of headers first included there) gets the target options, and nothing
// outside it does. Include standard headers before the region, so that no library function
// is compiled for the wider ISA only (the linker could pick that copy for baseline callers).
#pragma once

#define TG_ISA_PRAGMA(text) _Pragma(#text)

#if defined(__clang__)
#define TG_ISA_TARGET_BEGIN(isa) TG_ISA_PRAGMA(clang attribute push(__attribute__((target(isa))), apply_to = function))
#define TG_ISA_TARGET_END TG_ISA_PRAGMA(clang attribute pop)
#else
#define TG_ISA_TARGET_BEGIN(isa) TG_ISA_PRAGMA(GCC push_options) TG_ISA_PRAGMA(GCC target(isa))
#define TG_ISA_TARGET_END TG_ISA_PRAGMA(GCC pop_options)
#endif
