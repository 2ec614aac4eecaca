// Who sees personal data in admin lists and exports, and how it is masked for the others.
//
// The rule (docs/security.md "Masking"): a county admin sees answers in full within its org
// subtree (it is the one who fixes and hands over the county's data); a system admin configures
// the gateway, a security admin manages accounts and an auditor checks who did what — they see
// sensitive values masked. Sensitive values are those of dictionary fields marked
// "sensitivity": "sensitive" (disability, low-income status, income, bank account…) and of ID
// number fields, plus, as a safety net for text copied elsewhere, anything shaped like an ID
// number (15 or 18 characters), a bank card (16+ digits) or a mobile number inside any string.
// Pure functions.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "admin/accounts.h"
#include "forms/forms.h"

namespace yb::admin {

// True for the roles that see personal data in full (county_admin).
bool sees_personal_data(const User& u);

// The dictionary keys whose values are masked: sensitivity "sensitive" or type id_number.
std::set<std::string> masked_field_keys(const forms::Dictionary& dict);

// "110***********002X" for long values (first 3 and last 4 kept), "***" for short ones and for
// numbers, booleans, arrays and objects; null stays null.
nlohmann::json mask_value(const nlohmann::json& v);

// Masks ID numbers, bank card numbers and mobile numbers found inside the string.
std::string mask_identifiers(const std::string& s);
// The same, applied to every string (and object key's value) of a JSON document.
nlohmann::json mask_identifiers_in(const nlohmann::json& j);

// A delivery payload for a masked role: every value the connector's mapping (its raw config)
// takes from a masked field — by "from", or a "template" naming one — is masked at its "to"
// path (also a whole repeat group whose source is masked), then identifiers anywhere are masked.
nlohmann::json mask_payload(const nlohmann::json& payload, const nlohmann::json& connector_raw,
                            const std::set<std::string>& masked_keys);

}  // namespace yb::admin
