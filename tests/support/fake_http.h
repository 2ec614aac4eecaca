// A scripted HttpClient for delivery tests: answers by URL path from a script (each path's
// answers used in turn, the last repeating; default 200 {"code":0,"data":{"id":"<n>"}}) and
// records every request. No network. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "connectors/http.h"

namespace yb::test {

class FakeHttp final : public connectors::HttpClient {
 public:
  struct Answer {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string error;  // transport error instead of an answer ("timeout" sets timed_out)
  };
  void script(const std::string& path, std::vector<Answer> answers) {
    std::lock_guard lk(mu_);
    script_[path] = std::move(answers);
  }
  connectors::HttpResponse send(const connectors::HttpRequest& req,
                                const connectors::SendOptions&) override {
    std::lock_guard lk(mu_);
    requests_.push_back(req);
    const std::string path = path_of(req.url);
    int n = counts_[path]++;
    connectors::HttpResponse r;
    auto it = script_.find(path);
    Answer a;
    if (it != script_.end() && !it->second.empty()) {
      a = it->second[std::min<size_t>(n, it->second.size() - 1)];
    } else {
      a.body = R"({"code":0,"data":{"id":"up-)" + std::to_string(requests_.size()) + R"("}})";
    }
    if (!a.error.empty()) {
      r.error = a.error;
      r.timed_out = a.error == "timeout";
      return r;
    }
    r.status = a.status;
    r.body = a.body;
    r.headers = a.headers;
    return r;
  }
  std::vector<connectors::HttpRequest> requests() {
    std::lock_guard lk(mu_);
    return requests_;
  }
  std::vector<connectors::HttpRequest> requests_to(const std::string& path) {
    std::lock_guard lk(mu_);
    std::vector<connectors::HttpRequest> out;
    for (const auto& r : requests_) {
      if (path_of(r.url).rfind(path, 0) == 0) out.push_back(r);
    }
    return out;
  }
  static std::string path_of(const std::string& url) {
    auto p = url.find("://");
    auto slash = url.find('/', p == std::string::npos ? 0 : p + 3);
    std::string path = slash == std::string::npos ? "/" : url.substr(slash);
    return path.substr(0, path.find('?'));
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<Answer>> script_;
  std::map<std::string, int> counts_;
  std::vector<connectors::HttpRequest> requests_;
};

}  // namespace yb::test
