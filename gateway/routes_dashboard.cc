// The county dashboard (admin/dashboard.h): GET /api/v1/admin/dashboard and its SVG charts.
#include <cstdlib>

#include "admin/dashboard.h"
#include "gateway/routing.h"

namespace yb::gateway {

namespace {

int days_param(const httplib::Request& req) {
  if (!req.has_param("days")) return 30;
  const std::string v = req.get_param_value("days");
  if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos) {
    return -1;
  }
  return std::atoi(v.c_str());
}

Error bad_days() {
  return Error::make(ErrorKind::kValidation, "invalid_days", "days 应为 1 到 366 之间的整数",
                     "days must be a whole number from 1 to 366");
}

}  // namespace

void add_dashboard_routes(Routing& rt) {
  rt.http.Get("/api/v1/admin/dashboard",
              [&rt](const httplib::Request& req, httplib::Response& res) {
                auto u = rt.authenticate(req, res);
                if (!u) return;
                const int days = days_param(req);
                if (days < 1 || days > 366) return rt.send_error(res, bad_days());
                auto d = rt.s.dashboard.data(*u, days);
                if (!d) return rt.send_error(res, d.error());
                send_json(res, 200, d->to_json());
              });
  rt.http.Get(R"(/api/v1/admin/dashboard/charts/([a-z]{1,20})\.svg)",
              [&rt](const httplib::Request& req, httplib::Response& res) {
                auto u = rt.authenticate(req, res);
                if (!u) return;
                const int days = days_param(req);
                if (days < 1 || days > 366) return rt.send_error(res, bad_days());
                auto d = rt.s.dashboard.data(*u, days);
                if (!d) return rt.send_error(res, d.error());
                auto svg = admin::dashboard_chart(*d, req.matches[1]);
                if (!svg) return rt.send_error(res, svg.error());
                res.status = 200;
                res.set_header("Cache-Control", "no-store");
                res.set_header("X-Content-Type-Options", "nosniff");
                res.set_content(*svg, "image/svg+xml; charset=utf-8");
              });
}

}  // namespace yb::gateway
