// Node snapshots on the host's file system: backup (online, while the node serves) and restore
// (before the node starts).
//
// A node snapshot is a directory `node-<id>/`:
//   SNAPSHOT.json  {"format": 1, "node": 2, "created_unix_micros": ...,
//                   "files": [{"path": "db/000012.sst", "bytes": 1234, "crc32c": 2882400018}, ...]}
//   db/            the node's database as of one moment: records, hints, the saved ring and the
//                  node's generation (a RocksDB checkpoint, storage/engine/engine.h)
// SNAPSHOT.json is written last (after every file is fsynced), so a snapshot without it is
// incomplete. A cluster backup (kvctl backup --nodes) is a directory holding one node snapshot
// per node and a MANIFEST.json naming them.
//
// Restore checks the snapshot before it writes anything: the format, the node it belongs to, and
// every listed file's size and CRC-32C. A data directory that already holds a database is never
// overwritten. After a restore the node starts with a new range of generations (node/node.h:
// NodeOptions::restored) and catches up on what it missed through hinted handoff, read repair and
// anti-entropy.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/transport.h"
#include "storage/engine/engine.h"

namespace kv::kvnode {

inline constexpr int kSnapshotFormatVersion = 1;

// The directory name of `node`'s snapshot inside a backup directory.
std::string SnapshotDirName(NodeId node);

// Writes `node`'s snapshot into `root`/node-<id> (creating `root` if missing) while the engine
// keeps serving; returns SNAPSHOT.json's text. Errors: ALREADY_EXISTS if that snapshot exists;
// UNAVAILABLE for I/O errors (a partial snapshot is removed). Blocks the thread while RocksDB links
// and copies files and while the copies are checksummed.
absl::StatusOr<std::string> WriteSnapshot(storage::Engine& engine, NodeId node,
                                          const std::string& root);

// The node snapshot `path` names for `node`: `path` itself if it holds SNAPSHOT.json, or
// `path`/node-<id> if `path` is a cluster backup (MANIFEST.json). Then checks it: format, owner,
// and every file's size and checksum. FAILED_PRECONDITION (naming the file and the problem) if it
// is not a snapshot, belongs to another node, or is damaged.
absl::StatusOr<std::string> CheckSnapshot(const std::string& path, NodeId node);

// Restores `node`'s data directory `data_dir` (its IDENTITY already in place) from the snapshot
// at `path` (as CheckSnapshot): copies db/ into `data_dir`/db and leaves a RESTORED marker there.
// FAILED_PRECONDITION if `data_dir`/db already holds files (move them away first) or the snapshot
// fails its checks; nothing is written then.
absl::Status RestoreSnapshot(const std::string& path, const std::string& data_dir, NodeId node);

// The RESTORED marker: present from a restore until the node's first start after it has taken its
// new generation (ClearRestoredMarker). A crash in between only jumps the generation again.
bool RestoredMarkerPresent(const std::string& data_dir);
absl::Status ClearRestoredMarker(const std::string& data_dir);

}  // namespace kv::kvnode
