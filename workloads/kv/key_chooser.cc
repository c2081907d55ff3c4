#include "workloads/kv/key_chooser.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "net/assert.h"

namespace kv::workloads {

std::string KeyName(uint64_t index) { return absl::StrCat("key", index); }

KeyChooser::KeyChooser(KeyDistribution distribution, uint64_t keys, double theta)
    : distribution_(distribution), keys_(keys), theta_(theta) {
  KV_ASSERT(keys >= 1 && theta > 0 && theta < 1);
  zeta2_ = 1 + std::pow(0.5, theta_);
  ExtendZeta();
}

void KeyChooser::ExtendZeta() {
  for (; zeta_keys_ < keys_; ++zeta_keys_) {
    zeta_n_ += 1 / std::pow(static_cast<double>(zeta_keys_ + 1), theta_);
  }
}

uint64_t KeyChooser::ZipfRank(Random& random) {
  ExtendZeta();
  const double n = static_cast<double>(keys_);
  const double alpha = 1 / (1 - theta_);
  const double eta = (1 - std::pow(2 / n, 1 - theta_)) / (1 - zeta2_ / zeta_n_);
  const double u = random.NextDouble();
  const double uz = u * zeta_n_;
  if (uz < 1) return 0;
  if (uz < zeta2_) return keys_ > 1 ? 1 : 0;
  const auto rank = static_cast<uint64_t>(n * std::pow(eta * u - eta + 1, alpha));
  return rank < keys_ ? rank : keys_ - 1;
}

uint64_t KeyChooser::Next(Random& random) {
  switch (distribution_) {
    case KeyDistribution::kUniform:
      return random.Uniform(keys_);
    case KeyDistribution::kZipfian:
      return ZipfRank(random);
    case KeyDistribution::kLatest:
      return keys_ - 1 - ZipfRank(random);
  }
  return 0;
}

uint64_t KeyChooser::Insert() { return keys_++; }

}  // namespace kv::workloads
