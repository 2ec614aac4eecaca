// A SQLite VFS that gathers a transaction's WAL writes into a few large system calls.
//
// SQLite writes a WAL frame as two pwrite() calls, its 24-byte header and its page: a batch of
// answers that touches 150 pages makes 300 calls before its fsync, and on this project's
// virtual machines each call costs more in the kernel than the copy it does. The WAL files of
// connections opened with kWalBufferVfs keep writes that continue the previous one in a buffer
// (up to kWalBufferBytes), and hand them to the file at once when SQLite syncs the WAL, reads
// it, asks its size, truncates or closes it, or writes elsewhere in it (in pieces of at most
// 124 KB, the most the default VFS writes in one call).
//
// Safe because of the order SQLite keeps: frames are written, then (synchronous=FULL, as
// Database always sets) the WAL is synced, and only then does the wal-index header tell other
// connections the frames exist. A crash before the sync loses only frames that were not yet
// durable anyway. Every other file (the database, journals) is the default VFS's, unchanged.
#pragma once
#include <cstddef>
#include <cstdint>

namespace yb::db {

inline constexpr const char* kWalBufferVfs = "yb-wal-buffer";
inline constexpr size_t kWalBufferBytes = size_t{1} << 20;

// Registers the VFS (once per process; later calls do nothing). False if SQLite refused.
bool register_wal_buffer_vfs();

// Process-wide counts since start: writes SQLite asked of WAL files, and writes that reached
// them (what the buffer saves is the difference).
struct WalBufferStats {
  uint64_t asked = 0, written = 0;
};
WalBufferStats wal_buffer_stats();

}  // namespace yb::db
