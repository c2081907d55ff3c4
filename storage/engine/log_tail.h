// The tail check of RocksDB's log files (the WAL and the MANIFEST): finds a complete, synced
// record that RocksDB's recovery would take for a torn tail and drop without a word. Run before
// RocksDB opens the database.
//
// RocksDB reads both kinds of file tolerating a torn tail: the MANIFEST always, the WAL under
// `sync` (kTolerateCorruptedTailRecords; every acknowledged write is in its synced part, so any
// other damage is reported). A torn tail is recognised by a record header, in the file's final
// partial block, whose length runs past the end of the file. But a record's length field is not
// covered by its checksum (the log format's CRC covers type and payload), so a flipped bit that
// raises the length of a complete record makes it, and every record after it in that block, look
// torn. Found by the crash property (`sync_bit_flips`): seed 5259 lost the WAL record of its last
// eight acknowledged writes; seed 5795 lost a MANIFEST record (a flush's version edit, whose WAL
// was already deleted), and with it every write that flush held.
//
// A torn record and a damaged one differ in one thing: a torn record's bytes end early, while a
// damaged one is all there. So a record whose length runs past the end is judged by its checksum:
// if the bytes present, up to some shorter length, match it, the record was written whole and
// its length was damaged afterwards: DATA_LOSS. (A torn payload matches only by chance: 2^-32 per
// length tried.)
//
// The log format (LevelDB's, described in RocksDB's wiki "Write Ahead Log File Format"): 32 KiB
// blocks of records, each [u32 masked CRC-32C of type and payload][u16 length][u8 type][payload].
// Only the legacy record types (full, first, middle, last) are judged; a file with others
// (recyclable WALs, compression records) is left to RocksDB.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/file_system.h"

namespace kv::storage {

// A complete record in a log file's final block whose length field claims more bytes than the
// file holds.
struct DamagedLogRecord {
  uint64_t offset = 0;           // of the record's header, in the block given
  uint32_t claimed_length = 0;   // what its length field says
  uint32_t complete_length = 0;  // the length at which its checksum matches
};

// Looks for a damaged record in `block`: the bytes of a log file's final, partial block (from the
// block's start to the end of the file). nullopt when RocksDB's reading of the block ends any
// other way: every record whole, a checksum mismatch (RocksDB reports it), a torn tail, a record
// type this check does not know.
std::optional<DamagedLogRecord> FindDamagedLogRecord(absl::string_view block);

// Checks the final block of the MANIFEST that `dir`/CURRENT names and, if `wals`, of every WAL
// file (`*.log`) in `dir` on `fs`. DATA_LOSS naming the file and offset if one holds a damaged
// record; UNAVAILABLE if a file cannot be read; OK otherwise, including for a database that does
// not exist yet.
absl::Status CheckLogTails(rocksdb::FileSystem* fs, const std::string& dir, bool wals);

}  // namespace kv::storage
