// The op codes of the unary, binary, compare, reduce and argReduce entry points: defined once here (X-macro lists), exported to JS as `opcodes`.
#pragma once

/*
 * Each list names the ops of one entry point; an op's code is its position. The enums below number them for the
 * C++ kernels, and the addon exports the same lists as `opcodes` ({ unary: { neg: 0, ... }, ... }), from which
 * src/backend/native/opcodes.ts builds the TypeScript side's codes at load (the load fails when the names
 * disagree with the TypeScript op names). Add an op here and in src/backend/types.ts; never number one by hand.
 * A trailing '_' only avoids a C++ keyword (`not`) and is dropped from the exported name.
 */
#define AL_UNARY_OPS(X) \
  X(neg) X(exp) X(log) X(sqrt) X(abs) X(sin) X(cos) X(tanh) X(sigmoid) X(relu) X(erf) X(sign) X(floor) X(ceil) X(round) X(not_)
#define AL_BINARY_OPS(X) X(add) X(sub) X(mul) X(div) X(pow) X(maximum) X(minimum)
#define AL_COMPARE_OPS(X) X(eq) X(ne) X(lt) X(le) X(gt) X(ge)
#define AL_REDUCE_OPS(X) X(sum) X(max) X(min)
#define AL_ARG_REDUCE_OPS(X) X(argmax) X(argmin)

/** The families in the order of the `opcodes` object: (JS property name, list). */
#define AL_OP_FAMILIES(F) \
  F(unary, AL_UNARY_OPS) F(binary, AL_BINARY_OPS) F(compare, AL_COMPARE_OPS) F(reduce, AL_REDUCE_OPS) F(argReduce, AL_ARG_REDUCE_OPS)

namespace al {

#define AL_OP_ENUMERATOR(name) name,
enum class UnaryOp : int { AL_UNARY_OPS(AL_OP_ENUMERATOR) count };
enum class BinaryOp : int { AL_BINARY_OPS(AL_OP_ENUMERATOR) count };
enum class CompareOp : int { AL_COMPARE_OPS(AL_OP_ENUMERATOR) count };
enum class ReduceOp : int { AL_REDUCE_OPS(AL_OP_ENUMERATOR) count };
enum class ArgReduceOp : int { AL_ARG_REDUCE_OPS(AL_OP_ENUMERATOR) count };
#undef AL_OP_ENUMERATOR

}  // namespace al
