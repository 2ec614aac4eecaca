// feed: the upstream pulls its deliveries (GET /api/v1/feeds/{connector}?after=CURSOR) with a
// token scoped to this one connector. Cursors are opaque strings wrapping the last delivery
// sequence number seen; they are bound to the connector id, so one feed's cursor is refused
// by another.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "connectors/connector.h"

namespace yb::connectors {

inline constexpr int kFeedDefaultPageSize = 100;
inline constexpr int kFeedMaxPageSize = 1000;

class FeedConnector : public Connector {
 public:
  int page_size = kFeedDefaultPageSize;  // default and maximum items per page
  std::string token_secret;              // NAME of the secret holding the pull token
};

// "c1_" + base64url("<connector_id>:<seq>"), no padding.
std::string encode_cursor(const std::string& connector_id, int64_t seq);
// The sequence number in a cursor; an empty cursor is 0 (from the start). kInvalidArgument
// for a malformed cursor or one of another connector.
Result<int64_t> decode_cursor(const std::string& connector_id, const std::string& cursor);

// The page size for a request: the connector's page_size when `requested` is absent or not
// positive, else min(requested, page_size).
int feed_page_limit(const FeedConnector& c, std::optional<int> requested);

std::unique_ptr<ConnectorType> make_feed_type();

}  // namespace yb::connectors
