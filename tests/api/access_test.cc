// The token rule of every front end (node/api/access.h), as a table.
#include "node/api/access.h"

#include "gtest/gtest.h"

namespace kv::api {
namespace {

node::Namespace WithToken(const std::string& token) {
  node::Namespace ns;
  ns.set_name("t");
  ns.set_token(token);
  return ns;
}

TEST(AccessTest, ATokenOpensItsNamespaceOnlyAndTheClientTokenOpensAll) {
  const node::Namespace locked = WithToken("tt"), open = WithToken("");
  const std::optional<std::string> none, admin = "admin", tenant = "tt", other = "zz";
  // A cluster with a client token.
  EXPECT_TRUE(MayUseNamespace("admin", &locked, admin));
  EXPECT_TRUE(MayUseNamespace("admin", &locked, tenant));
  EXPECT_FALSE(MayUseNamespace("admin", &locked, none));
  EXPECT_FALSE(MayUseNamespace("admin", &locked, other));
  EXPECT_FALSE(MayUseNamespace("admin", nullptr, tenant)) << "the default namespace";
  EXPECT_FALSE(MayUseNamespace("admin", &open, none));
  EXPECT_TRUE(MayUseNamespace("admin", nullptr, admin));
  EXPECT_TRUE(MayAdminister("admin", admin));
  EXPECT_FALSE(MayAdminister("admin", tenant));
  // A cluster without one: open namespaces are open, unless a token that does not open them is
  // presented (a tenant's credential never reaches another namespace).
  EXPECT_TRUE(MayUseNamespace("", &open, none));
  EXPECT_TRUE(MayUseNamespace("", nullptr, none));
  EXPECT_FALSE(MayUseNamespace("", &locked, none));
  EXPECT_TRUE(MayUseNamespace("", &locked, tenant));
  EXPECT_FALSE(MayUseNamespace("", nullptr, tenant));
  EXPECT_FALSE(MayUseNamespace("", &open, tenant));
  EXPECT_TRUE(MayAdminister("", none));

  google::protobuf::RepeatedPtrField<node::Namespace> table;
  *table.Add() = locked;
  *table.Add() = open;
  EXPECT_TRUE(IsKnownToken("admin", table, "admin"));
  EXPECT_TRUE(IsKnownToken("", table, "tt"));
  EXPECT_FALSE(IsKnownToken("", table, ""));
  EXPECT_FALSE(IsKnownToken("admin", table, "zz"));
}

}  // namespace
}  // namespace kv::api
