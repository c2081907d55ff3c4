// GoogleTest helpers for absl::Status values.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "net/status_macros.h"

#define KV_EXPECT_OK(expr)             \
  do {                                 \
    const absl::Status kv_s_ = (expr); \
    EXPECT_TRUE(kv_s_.ok()) << kv_s_;  \
  } while (0)

#define KV_ASSERT_OK(expr)             \
  do {                                 \
    const absl::Status kv_s_ = (expr); \
    ASSERT_TRUE(kv_s_.ok()) << kv_s_;  \
  } while (0)

// Asserts `rexpr` (an absl::StatusOr) is OK and moves its value into `lhs` (may be a declaration).
#define KV_ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  KV_ASSERT_OK_AND_ASSIGN_IMPL(KV_CONCAT(kv_statusor_, __LINE__), lhs, rexpr)
#define KV_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  ASSERT_TRUE(tmp.ok()) << tmp.status();              \
  lhs = std::move(tmp).value()
