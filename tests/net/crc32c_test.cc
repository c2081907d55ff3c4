#include "net/crc32c.h"

#include <string>

#include <boost/crc.hpp>

#include "gtest/gtest.h"
#include "net/random.h"

namespace kv {
namespace {

TEST(Crc32cTest, StandardCheckValue) { EXPECT_EQ(Crc32c("123456789"), 0xE3069283u); }

TEST(Crc32cTest, MatchesATableImplementationAtEveryLengthAndAlignment) {
  Random random(9);
  std::string data(300, '\0');
  for (char& c : data) c = static_cast<char>(random.Uniform(256));
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; n + offset <= data.size(); n += 7) {
      boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> table;
      table.process_bytes(data.data() + offset, n);
      ASSERT_EQ(Crc32c(absl::string_view(data).substr(offset, n)), table.checksum())
          << "offset " << offset << " length " << n;
    }
  }
}

TEST(Crc32cTest, ExtendingEqualsOneShot) {
  const std::string a = "hello, ", b = "world";
  EXPECT_EQ(Crc32cExtend(Crc32c(a), b.data(), b.size()), Crc32c(a + b));
}

}  // namespace
}  // namespace kv
