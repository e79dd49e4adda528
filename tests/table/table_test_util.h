// Helpers shared by the table integration tests: a small schema, rows, and a
// checker that every file the metadata references exists and is whole.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "datashard/file_io.h"
#include "datashard/table.h"
#include "metadata/manifest.h"

namespace datashard::testing {

inline Schema IdValueSchema() {
  return Schema(1, {Field{1, "record_id", DataType::Long(), true},
                    Field{2, "value", DataType::String(), true}});
}

inline std::vector<Record> IdValueRows(int64_t first, int n) {
  std::vector<Record> rows;
  for (int i = 0; i < n; ++i)
    rows.push_back({Value(first + i), Value("v" + std::to_string(first + i))});
  return rows;
}

/// The ids from, from + 1, ..., to - 1.
inline std::vector<int64_t> Range(int64_t from, int64_t to) {
  std::vector<int64_t> v;
  for (int64_t i = from; i < to; ++i) v.push_back(i);
  return v;
}

/// Ids (first column, long) of all rows of a snapshot, sorted.
inline std::vector<int64_t> SortedIds(Table& table,
                                      std::optional<int64_t> snapshot = std::nullopt) {
  std::vector<int64_t> ids;
  for (const Record& r : table.ScanAll(snapshot)) ids.push_back(r[0].as_long());
  std::sort(ids.begin(), ids.end());
  return ids;
}

/// Every manifest list, manifest and live data file referenced by any
/// snapshot of the metadata exists with the recorded size; returns how many files it checked.
inline int64_t ExpectNothingDangling(FileIO& io, const TableMetadata& m) {
  int64_t checked = 0;
  for (const Snapshot& s : m.snapshots) {
    EXPECT_TRUE(io.Exists(s.manifest_list)) << s.manifest_list;
    if (!io.Exists(s.manifest_list)) continue;
    ++checked;
    for (const ManifestFile& mf : ReadManifestList(io, s.manifest_list)) {
      EXPECT_TRUE(io.Exists(mf.manifest_path)) << mf.manifest_path;
      if (!io.Exists(mf.manifest_path)) continue;
      EXPECT_EQ(static_cast<int64_t>(io.Stat(mf.manifest_path).size), mf.manifest_length)
          << mf.manifest_path;
      ++checked;
      for (const ManifestEntry& e : ReadManifest(io, mf)) {
        // A DELETED entry is a tombstone: its file may be gone once every
        // snapshot that had it live expired.
        if (e.status == EntryStatus::kDeleted) continue;
        const std::string& p = e.data_file.file_path;
        EXPECT_TRUE(io.Exists(p)) << p;
        if (io.Exists(p)) {
          EXPECT_EQ(static_cast<int64_t>(io.Stat(p).size), e.data_file.file_size_in_bytes) << p;
        }
        ++checked;
      }
    }
  }
  return checked;
}

/// Table::Verify passes and no referenced file is missing or resized.
inline void ExpectVerifies(Table& t) {
  const VerifyReport report = t.Verify();
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems.front());
  ExpectNothingDangling(t.io(), t.metadata());
}

}  // namespace datashard::testing
