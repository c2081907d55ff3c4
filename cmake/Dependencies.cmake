# Every dependency is a Debian 12 package (tools/setup.sh installs them). Nothing is vendored or
# downloaded.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS context)
find_package(absl REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(Protobuf REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)

# Debian's RocksDBConfig.cmake names imported targets (gflags, lz4) that Debian ships no CMake
# config for, so RocksDB is found through pkg-config.
find_package(PkgConfig REQUIRED)
pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
add_library(rocksdb_lib INTERFACE)
target_link_libraries(rocksdb_lib INTERFACE PkgConfig::ROCKSDB)
