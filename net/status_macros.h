// Errors are values (absl::Status / absl::StatusOr<T>), not exceptions. Debian's Abseil 20220623 has
// no status macros, so these two are ours.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define KV_CONCAT_INNER(a, b) a##b
#define KV_CONCAT(a, b) KV_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function if it is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status kv_status_ = (expr);                \
    if (!kv_status_.ok()) return kv_status_;           \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else moves the value into
// `lhs` (which may be a declaration: ASSIGN_OR_RETURN(auto x, F());).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  KV_ASSIGN_OR_RETURN_IMPL(KV_CONCAT(kv_statusor_, __LINE__), lhs, rexpr)

#define KV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                             \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
