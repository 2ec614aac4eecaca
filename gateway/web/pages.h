// The cadre's web pages: server-rendered HTML from mustache templates (every {{value}} is
// HTML-escaped by the template engine), strings from one catalogue per language
// (gateway/web/i18n/*.json), templates, CSS and JS compiled into the binary. Pure: no HTTP,
// no database; gateway/routes_web.cc calls the services and hands the results here.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/forms.h"
#include "intake/submissions.h"

namespace yb::gateway::web {

using Json = nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;

// "zh-CN" (default), "en" or "ug" (right to left).
inline constexpr const char* kLanguages[] = {"zh-CN", "en", "ug"};
bool known_language(std::string_view lang);

// What every page shares: who is looking, in which language and text size.
struct Chrome {
  std::string lang = "zh-CN";
  bool elder = false;
  std::string page;   // "login", "home", "form", "receipt", "print", "message"
  std::string title;  // page title (plain text)
  std::string path;   // this page's path, for the language and elder-mode links to come back
  std::optional<std::string> user;  // display name when logged in
  std::string csrf;                 // the session's CSRF token (logout form)
  bool admin = false;               // may open the admin console: a link to /admin in the header
};

// A decoded form post: the typed values exactly as sent (strings; arrays of strings for
// multiple choices; arrays of objects for repeat groups), plus the page's own controls.
struct FormPost {
  Json raw = Json::object();
  std::string action = "submit";  // "submit", "add:KEY" or "remove:KEY:INDEX"
  std::string client_id, channel, paper_ref, csrf;
  // Prefill and corrections (hidden inputs carried across posts): the person the form was
  // opened for, the submission being corrected, and the stale prefilled values the cadre
  // ticked as checked with the resident (answer paths).
  std::string prefill_subject, supersedes;
  std::set<std::string> confirmed;
};

// Where a prefilled answer came from, for its mark beside the field.
struct PrefillMark {
  std::string date;        // "2026-11-20" (China time)
  std::string author;      // username
  std::string form_title;  // the form it was entered in
  bool stale = false;      // past the dictionary's fresh_days: to be confirmed
};
struct Prefilled {
  std::string name;                          // the person's name, for the banner
  std::map<std::string, PrefillMark> marks;  // by answer path
};

// application/x-www-form-urlencoded -> ordered name/value pairs (percent and '+' decoded).
Params parse_urlencoded(std::string_view body);
// Percent-encodes all but letters, digits and - _ . ~ / (a path, or a value in a query).
std::string url_encode(std::string_view s);
// Reads the fields of `form` out of the posted pairs. Unknown names are ignored; repeat items
// are renumbered 0..n-1 in the order they appear.
FormPost read_form_post(const forms::Form& form, const Params& params);
// The values to validate: empty answers dropped, calculated fields left to the server.
Json values_from_raw(const forms::Form& form, const Json& raw);
// Applies "add:KEY" / "remove:KEY:INDEX" to raw; false when the action names no repeat group.
bool apply_repeat_action(const forms::Form& form, const std::string& action, Json& raw);

// "110101199003071234" -> "110***********1234"; other sensitive text keeps its last 4.
std::string mask_id_number(std::string_view id);
std::string mask_sensitive(std::string_view v);

class Pages {
 public:
  Pages();

  const Json& catalog(const std::string& lang) const;
  std::string text(const std::string& lang, const std::string& key) const;

  std::string login(const Chrome& c, const std::string& username, const std::string& error,
                    const std::string& csrf, const std::string& next) const;
  // `village`: SubjectService::village() (people of the cadre's villages), or null.
  std::string home(
      const Chrome& c, const std::vector<forms::Form const*>& forms,
      const std::vector<std::pair<intake::StoredSubmission, const forms::Form*>>& recent,
      const Json& village = nullptr) const;
  // The form page. `errors` is the validation error (if any) whose details sit beside the
  // fields; `general` is a message for the summary that belongs to no field.
  // `pf`: the prefill marks when the form was opened for a known person.
  std::string form(const Chrome& c, const forms::Form& form, const FormPost& post,
                   const std::vector<FieldError>& errors, const std::string& general,
                   const std::string& today, const Prefilled* pf = nullptr) const;
  std::string receipt(const Chrome& c, const intake::StoredSubmission& s,
                      const forms::Form* form) const;
  std::string print(const Chrome& c, const forms::Form& form) const;
  // "{label}: ... confirm or change" for a stale prefilled answer left unconfirmed.
  Text stale_error(const std::string& label_zh, const std::string& label_en,
                   const std::string& label_ug) const;
  std::string message(const Chrome& c, const std::string& heading, const std::string& msg,
                      const std::string& href, const std::string& link_text) const;

  // Any other page (the admin console's, gateway/routes_admin_pages.cc): templates/<tmpl>
  // rendered with `view` inside the layout; `view["t"]` is the language's catalogue.
  std::string page(const Chrome& c, const std::string& tmpl, Json view) const {
    return render(c, tmpl, std::move(view));
  }

  // The deliveries of a submission for the receipt's live updates.
  Json deliveries_json(const std::string& lang,
                       const std::vector<connectors::DeliveryView>& ds) const;

  // A static asset (app.css, app.js) by file name; empty when unknown.
  static std::string_view asset(std::string_view name);

 private:
  std::string render(const Chrome& c, const std::string& tmpl, Json view) const;
  std::string label(const std::string& lang, const forms::Labels& l) const;
  std::string status_label(const std::string& lang, const std::string& status) const;
  std::string channel_label(const std::string& lang, const std::string& channel) const;
  Json field_view(const std::string& lang, const forms::FormField& f, const std::string& name,
                  const Json* raw, const std::map<std::string, std::string>& errs, bool in_template,
                  const Prefilled* pf = nullptr,
                  const std::set<std::string>* confirmed = nullptr) const;
  Json who(const std::string& lang, const forms::Form* form, const Json& values) const;

  std::map<std::string, Json> catalogs_;
};

}  // namespace yb::gateway::web
