// spreadsheet: answers collected into CSV and XLSX files in the upstream's own column order and
// headers, per batch or per period, downloadable by admins and optionally written to a folder.
// The connector is not pushed; render_csv/render_xlsx are pure(ish) functions over frozen
// payloads (render_xlsx uses a temporary file because libxlsxwriter writes to files).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.h"

namespace yb::connectors {

struct SpreadsheetColumn {
  std::string header;  // shown in the first row, e.g. "姓名"
  std::string field;   // a mapping output path ("xm", "dz.qz")
};

class SpreadsheetConnector : public Connector {
 public:
  std::vector<SpreadsheetColumn> columns;  // given, or one per mapping write
  std::vector<std::string> formats = {"csv", "xlsx"};
  std::string period = "batch";        // batch | day | week | month
  std::string sheet_name = "Sheet1";   // XLSX worksheet name
  std::string folder;                  // also write files here; empty = don't
  std::string encoding = "utf-8-bom";  // CSV: utf-8-bom (Excel-friendly) | utf-8
};

// The text of one cell: strings as-is, numbers as JSON numbers, booleans "是"/"否", arrays
// joined by "、" (objects inside: their values joined by " "), null and missing "".
std::string cell_text(const Json& v);

// The value at a mapping output path ("dz.qz") of a payload, or null.
const Json* payload_at(const Json& payload, const std::string& field);

// RFC 4180 CSV (CRLF line ends, quotes when needed) with a header row. Cells that start with
// = + - @ TAB or CR get a leading single quote (CSV injection guard; JSON numbers are exempt).
// With encoding utf-8-bom the text starts with the UTF-8 BOM.
std::string render_csv(const SpreadsheetConnector& c, const std::vector<Json>& payloads);

// An XLSX workbook (one worksheet, bold frozen header row; numbers as numbers, every other
// value as a string cell, never a formula). Returns the file's bytes.
Result<std::string> render_xlsx(const SpreadsheetConnector& c, const std::vector<Json>& payloads);

// The period a date (ISO) falls in: "" for batch, "2024-01-05" (day), "2024-W01" (ISO week),
// "2024-01" (month). Empty for an invalid date.
std::string period_key(const std::string& period, const std::string& date_iso);

// Writes "<folder>/<stem>.<format>" for every configured format; returns the paths written.
// kValidation when the connector has no folder, kInternal on an I/O error.
Result<std::vector<std::string>> write_to_folder(const SpreadsheetConnector& c,
                                                 const std::vector<Json>& payloads,
                                                 const std::string& stem);

std::unique_ptr<ConnectorType> make_spreadsheet_type();

}  // namespace yb::connectors
