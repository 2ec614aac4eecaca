// Stored connector configurations and secrets. Configs are validated through the registry
// before they are stored; the parsed connectors are cached as one immutable snapshot that a
// change swaps whole. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "core/clock.h"
#include "core/db.h"

namespace yb::connectors {

struct ConnectorEntry {
  ConnectorPtr connector;
  bool paused = false;
  std::string pause_reason;
  int version = 0;
};

using Snapshot = std::shared_ptr<const std::vector<ConnectorEntry>>;
using DictionaryProvider = std::function<std::shared_ptr<const forms::Dictionary>()>;

class ConnectorStore {
 public:
  // REQUIRES: all arguments outlive the store.
  ConnectorStore(db::Database& db, const ConnectorRegistry& registry, DictionaryProvider dictionary,
                 const Clock& clock);

  // Every connector, ordered by id. Cached; a change here refreshes it at once, changes by
  // other gateways sharing the database are seen within kTtlMs (while one caller reloads a
  // snapshot past its time, the others are given the one it replaces).
  Result<Snapshot> snapshot();
  Result<ConnectorEntry> get(const std::string& id);

  // Validates and stores a config (creating or replacing the connector with its "id").
  // kValidation with every problem. Secret values never appear in configs, only names.
  Result<ConnectorEntry> put(const nlohmann::json& config);
  Status set_paused(const std::string& id, bool paused, const std::string& reason);

  std::optional<std::string> secret(const std::string& name);
  Status put_secret(const std::string& name, const std::string& value);
  // Names of secrets that configs reference but the store does not hold.
  std::vector<std::string> missing_secrets(const Connector& c);

  static constexpr int64_t kTtlMs = 2000;

 private:
  Result<Snapshot> load();
  void invalidate();
  db::Database& db_;
  const ConnectorRegistry& registry_;
  DictionaryProvider dictionary_;
  const Clock& clock_;
  std::mutex mu_;
  Snapshot snapshot_;          // GUARDED_BY(mu_)
  int64_t loaded_at_ms_ = -1;  // GUARDED_BY(mu_)
  // Bumped by every change; a load that began before a change is returned but not cached,
  // so a pause, resume, new config or secret is never hidden behind a stale snapshot.
  uint64_t generation_ = 0;  // GUARDED_BY(mu_)
  bool reloading_ = false;   // GUARDED_BY(mu_): a caller is reloading a snapshot past its time
  // Secrets read on every send are cached for kTtlMs; put_secret() clears the cache.
  std::map<std::string, std::pair<std::optional<std::string>, int64_t>>
      secrets_;  // GUARDED_BY(mu_)
};

}  // namespace yb::connectors
