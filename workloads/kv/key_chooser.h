// Picks the key of each client operation from a key space that may grow (inserts), with YCSB's
// distributions: uniform, zipfian (rank 0 hottest; theta 0.99 by default) and latest (zipfian
// over recency: the newest key is hottest). Keys are "key<index>". Deterministic: every draw
// comes from the caller's Random.
#pragma once

#include <cstdint>
#include <string>

#include "net/random.h"
#include "workloads/kv/scenario.h"

namespace kv::workloads {

std::string KeyName(uint64_t index);

class KeyChooser {
 public:
  // REQUIRES: keys >= 1, 0 < theta < 1.
  KeyChooser(KeyDistribution distribution, uint64_t keys, double theta);

  // The index of an existing key.
  uint64_t Next(Random& random);
  // Adds a key to the space and returns its index.
  uint64_t Insert();

  uint64_t keys() const { return keys_; }

 private:
  // Zipfian rank in [0, keys_), after Gray et al., "Quickly generating billion-record synthetic
  // databases" (SIGMOD 1994), as YCSB does; zeta is extended incrementally as the space grows.
  uint64_t ZipfRank(Random& random);
  void ExtendZeta();

  KeyDistribution distribution_;
  uint64_t keys_;
  double theta_;
  double zeta2_ = 0;
  double zeta_n_ = 0;
  uint64_t zeta_keys_ = 0;  // keys counted in zeta_n_
};

}  // namespace kv::workloads
