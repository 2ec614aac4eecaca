#include "core/wal_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>

namespace yb::db {
namespace {

// The VFS's own state, SQLite's registry being process-wide: the default VFS it wraps, and
// the counts behind wal_buffer_stats().
struct Shared {
  sqlite3_vfs* base = nullptr;
  sqlite3_vfs vfs{};
  std::atomic<uint64_t> asked{0}, written{0};
};

Shared& shared() {
  static Shared s;
  return s;
}

// A WAL file: the default VFS's file object lives right after this one (szOsFile is the sum).
struct WalFile {
  sqlite3_file base;  // first: SQLite sees a WalFile as a sqlite3_file
  sqlite3_file* real;
  std::unique_ptr<char[]> buf;  // allocated on the first write: readers never write the WAL
  size_t len = 0;
  sqlite3_int64 at = 0;  // the file offset of buf[0]
};

WalFile* wal(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }

// The most the default VFS writes in one call: its unixWrite() masks a length to 17 bits, as
// SQLite itself never writes more than a page at a time.
constexpr size_t kMaxWrite = 0x1F000;  // 124 KB

// Hands what is buffered to the file. On failure the buffer is dropped: SQLite rolls the
// transaction back, and its frames were never made visible.
int flush(WalFile* w) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < w->len && rc == SQLITE_OK; done += kMaxWrite) {
    const size_t n = std::min(kMaxWrite, w->len - done);
    rc = w->real->pMethods->xWrite(w->real, w->buf.get() + done, static_cast<int>(n),
                                   w->at + static_cast<sqlite3_int64>(done));
    shared().written.fetch_add(1, std::memory_order_relaxed);
  }
  w->len = 0;
  return rc;
}

int wal_close(sqlite3_file* f) {
  WalFile* w = wal(f);
  const int flushed = flush(w);
  const int rc = w->real->pMethods->xClose(w->real);
  w->buf.reset();
  return flushed != SQLITE_OK ? flushed : rc;
}

int wal_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 off) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xRead(w->real, out, amt, off);
}

int wal_write(sqlite3_file* f, const void* data, int amt, sqlite3_int64 off) {
  WalFile* w = wal(f);
  shared().asked.fetch_add(1, std::memory_order_relaxed);
  const auto n = static_cast<size_t>(amt);
  const bool continues = w->len > 0 && off == w->at + static_cast<sqlite3_int64>(w->len);
  if (!continues || w->len + n > kWalBufferBytes) {
    if (int rc = flush(w); rc != SQLITE_OK) return rc;
  }
  if (!w->buf) w->buf.reset(new (std::nothrow) char[kWalBufferBytes]);
  if (!w->buf || n > kWalBufferBytes) {  // no memory for it, or a write SQLite does not make
    shared().written.fetch_add(1, std::memory_order_relaxed);
    return w->real->pMethods->xWrite(w->real, data, amt, off);
  }
  if (w->len == 0) w->at = off;
  std::memcpy(w->buf.get() + w->len, data, n);
  w->len += n;
  return SQLITE_OK;
}

int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xTruncate(w->real, size);
}

int wal_sync(sqlite3_file* f, int flags) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xSync(w->real, flags);
}

int wal_file_size(sqlite3_file* f, sqlite3_int64* size) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileSize(w->real, size);
}

int wal_lock(sqlite3_file* f, int level) {
  return wal(f)->real->pMethods->xLock(wal(f)->real, level);
}
int wal_unlock(sqlite3_file* f, int level) {
  return wal(f)->real->pMethods->xUnlock(wal(f)->real, level);
}
int wal_check_reserved(sqlite3_file* f, int* out) {
  return wal(f)->real->pMethods->xCheckReservedLock(wal(f)->real, out);
}
int wal_file_control(sqlite3_file* f, int op, void* arg) {
  WalFile* w = wal(f);
  if (int rc = flush(w); rc != SQLITE_OK) return rc;
  return w->real->pMethods->xFileControl(w->real, op, arg);
}
int wal_sector_size(sqlite3_file* f) { return wal(f)->real->pMethods->xSectorSize(wal(f)->real); }
int wal_device_characteristics(sqlite3_file* f) {
  return wal(f)->real->pMethods->xDeviceCharacteristics(wal(f)->real);
}

// Version 1: SQLite maps shared memory and pages through the database file, never the WAL.
const sqlite3_io_methods kWalMethods = {
    1,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
};

int open_file(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  sqlite3_vfs* base = shared().base;
  if (!(flags & SQLITE_OPEN_WAL)) return base->xOpen(base, name, f, flags, out_flags);
  WalFile* w = new (f) WalFile{};
  w->base.pMethods = nullptr;  // until the real file is open: SQLite then skips xClose
  w->real = reinterpret_cast<sqlite3_file*>(w + 1);
  const int rc = base->xOpen(base, name, w->real, flags, out_flags);
  if (rc != SQLITE_OK || !w->real->pMethods) {
    w->~WalFile();
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  w->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

}  // namespace

bool register_wal_buffer_vfs() {
  static const bool registered = [] {
    Shared& s = shared();
    s.base = sqlite3_vfs_find(nullptr);
    if (!s.base) return false;
    // Everything but opening a file is the default VFS's own.
    s.vfs = *s.base;
    s.vfs.zName = kWalBufferVfs;
    s.vfs.pNext = nullptr;
    s.vfs.szOsFile = static_cast<int>(sizeof(WalFile)) + s.base->szOsFile;
    s.vfs.xOpen = open_file;
    return sqlite3_vfs_register(&s.vfs, /*makeDflt=*/0) == SQLITE_OK;
  }();
  return registered;
}

WalBufferStats wal_buffer_stats() {
  const Shared& s = shared();
  return {s.asked.load(std::memory_order_relaxed), s.written.load(std::memory_order_relaxed)};
}

}  // namespace yb::db
