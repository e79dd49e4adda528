// The catalogs the table suites run over (parameterised): "file" (TABLE is
// the table folder), "sqlite" (a catalog database in the test's folder) and
// "postgresql" (DATASHARD_TEST_POSTGRES_URL, which scripts/services.sh
// exports; unset fails the test). In a SQL catalog a folder's table is
// registered as <unique namespace>.<folder name>, so tests sharing one
// server never see each other's tables.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "datashard/catalog.h"
#include "datashard/table.h"
#include "io/temp_dir.h"

namespace datashard::testing {

class TableCatalogs {
 public:
  /// `kind`: "file", "sqlite" or "postgresql"; `dir`: the test's folder.
  TableCatalogs(std::string kind, const TempDir& dir) : kind_(std::move(kind)) {
    if (kind_ == "file") return;
    std::string url = "sqlite:" + dir.Join("catalog.db");
    if (kind_ == "postgresql") {
      const char* pg = std::getenv("DATASHARD_TEST_POSTGRES_URL");
      if (pg == nullptr || *pg == '\0') {
        ADD_FAILURE() << "DATASHARD_TEST_POSTGRES_URL is not set: run `source scripts/services.sh"
                         " && datashard_services_start` (scripts/test.sh does) first";
        return;
      }
      url = pg;
    }
    catalog_ = Catalog::Open(url);
    std::random_device rd;
    ns_ = "test" + std::to_string(rd()) + std::to_string(rd());
  }

  bool sql() const { return kind_ != "file"; }
  /// The version number of a table's first metadata file: v1, or 00000.
  int64_t first_version() const { return sql() ? 0 : 1; }
  Catalog& catalog() { return *catalog_; }
  /// The identifier of the table in `folder`.
  std::string Identifier(const std::string& folder) const {
    return ns_ + "." + folder.substr(folder.rfind('/') + 1);
  }

  Table Create(const std::string& folder, const Schema& schema,
               const PartitionSpec& spec = PartitionSpec(),
               const std::map<std::string, std::string>& properties = {}) {
    if (!sql()) return CreateTable(folder, schema, spec, properties);
    return catalog_->CreateTable(Identifier(folder), folder, schema, spec, properties);
  }
  Table Open(const std::string& folder) {
    if (!sql()) return OpenTable(folder);
    return catalog_->LoadTable(Identifier(folder));
  }

 private:
  std::string kind_;
  std::optional<Catalog> catalog_;
  std::string ns_;
};

/// Test names: file, sqlite, postgresql.
inline std::string CatalogName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace datashard::testing
