#include "maintenance/verify.h"

#include <map>
#include <set>

#include "commit/commit_ids.h"
#include "datashard/errors.h"
#include "format/parquet/parquet_reader.h"
#include "log/ingest_log.h"
#include "log/log_fold.h"
#include "metadata/file_location.h"
#include "metadata/manifest.h"

namespace datashard {
namespace {

// What one manifest holds, for the summaries of the snapshots listing it.
struct ManifestTotals {
  bool read = false;  // false: unreadable, its snapshots' totals are not checked
  int64_t live_files = 0;
  int64_t live_rows = 0;
};

class Verifier {
 public:
  Verifier(FileIO& io, const TableMetadata& metadata, const VerifyOptions& options)
      : io_(io), m_(metadata), options_(options) {}

  VerifyReport Run(IngestLog* log) {
    report_.snapshots = static_cast<int64_t>(m_.snapshots.size());
    CheckSnapshotReferences();
    CheckRememberedCommits();
    for (const Snapshot& s : m_.snapshots) CheckSnapshot(s);
    for (const auto& [path, content] : files_) CheckFile(path, content);
    if (log != nullptr) CheckLog(*log);
    return std::move(report_);
  }

 private:
  void Problem(std::string text) {
    ++report_.problem_count;
    if (report_.problems.size() < VerifyReport::kMaxProblems) {
      report_.problems.push_back(std::move(text));
    }
  }

  void Progress(const std::string& what) {
    ++done_;
    if (options_.progress) options_.progress(done_, total_, what);
  }

  void CheckSnapshotReferences() {
    if (m_.current_snapshot_id && m_.SnapshotById(*m_.current_snapshot_id) == nullptr) {
      Problem("current-snapshot-id " + std::to_string(*m_.current_snapshot_id) +
              " names no snapshot of the metadata");
    }
    for (const auto& [name, ref] : m_.refs) {
      if (m_.SnapshotById(ref.snapshot_id) == nullptr) {
        Problem("ref '" + name + "' names snapshot " + std::to_string(ref.snapshot_id) +
                ", which the metadata does not hold");
      }
    }
    std::set<int64_t> seen;
    for (const Snapshot& s : m_.snapshots) {
      const std::string name = "snapshot " + std::to_string(s.snapshot_id);
      if (!seen.insert(s.snapshot_id).second) Problem(name + " appears twice in the metadata");
      if (m_.format_version >= 2 && s.sequence_number > m_.last_sequence_number) {
        Problem(name + " has sequence number " + std::to_string(s.sequence_number) +
                " above the table's last-sequence-number " +
                std::to_string(m_.last_sequence_number));
      }
      if (!s.parent_snapshot_id) continue;
      const Snapshot* parent = m_.SnapshotById(*s.parent_snapshot_id);
      if (parent != nullptr && m_.format_version >= 2 &&
          parent->sequence_number >= s.sequence_number) {
        Problem(name + " has sequence number " + std::to_string(s.sequence_number) +
                ", not above its parent " + std::to_string(parent->snapshot_id) + "'s " +
                std::to_string(parent->sequence_number));
      }
    }
  }

  // Commits cannot check their ids against what cannot be read.
  void CheckRememberedCommits() {
    try {
      CountRememberedCommits(io_, m_);
    } catch (const Error& e) {
      Problem(std::string("remembered commit ids: ") + e.what());
    }
  }

  void CheckSnapshot(const Snapshot& s) {
    const std::string name = "snapshot " + std::to_string(s.snapshot_id);
    std::vector<ManifestFile> list;
    try {
      list = ReadManifestList(io_, s.manifest_list);
      ++report_.manifest_lists;
    } catch (const Error& e) {
      Problem(name + ": manifest list " + s.manifest_list + " cannot be read: " + e.what());
      return;
    }
    int64_t data_files = 0, delete_files = 0, records = 0;
    bool totals_known = true;
    for (const ManifestFile& mf : list) {
      if (m_.format_version >= 2 && mf.sequence_number > s.sequence_number) {
        Problem(name + ": manifest " + mf.manifest_path + " has sequence number " +
                std::to_string(mf.sequence_number) + " above the snapshot's " +
                std::to_string(s.sequence_number));
      }
      const ManifestTotals& t = CheckManifest(mf);
      if (!t.read) {
        totals_known = false;
        continue;
      }
      if (mf.content == FileContent::kData) {
        data_files += t.live_files;
        records += t.live_rows;
      } else {
        delete_files += t.live_files;
      }
    }
    if (!totals_known) return;
    const auto check_total = [&](const char* key, int64_t actual) {
      const auto it = s.summary.find(key);
      if (it == s.summary.end()) return;
      if (s.SummaryLong(key, -1) != actual) {
        Problem(name + ": summary " + key + " is " + it->second + " but its manifests hold " +
                std::to_string(actual));
      }
    };
    check_total("total-data-files", data_files);
    check_total("total-delete-files", delete_files);
    check_total("total-records", records);
  }

  const ManifestTotals& CheckManifest(const ManifestFile& mf) {
    const auto [it, inserted] = manifests_.try_emplace(mf.manifest_path);
    ManifestTotals& totals = it->second;
    if (!inserted) return totals;
    const std::string name = "manifest " + mf.manifest_path;
    ++total_;
    Progress(name);
    std::vector<ManifestEntry> entries;
    try {
      const FileInfo info = io_.Stat(LocalFilePath(mf.manifest_path, "manifest"));
      if (mf.manifest_length > 0 && static_cast<int64_t>(info.size) != mf.manifest_length) {
        Problem(name + " has " + std::to_string(info.size) + " bytes, its manifest list says " +
                std::to_string(mf.manifest_length));
      }
      entries = ReadManifest(io_, mf);
      ++report_.manifests;
    } catch (const Error& e) {
      Problem(name + " cannot be read: " + e.what());
      return totals;
    }
    totals.read = true;
    int added = 0, existing = 0, deleted = 0;
    for (const ManifestEntry& e : entries) {
      const DataFile& f = e.data_file;
      (e.status == EntryStatus::kAdded      ? added
       : e.status == EntryStatus::kExisting ? existing
                                            : deleted)++;
      const bool is_data = f.content == FileContent::kData;
      if (is_data != (mf.content == FileContent::kData)) {
        Problem(name + " (" + (is_data ? "delete" : "data") + " manifest) lists " +
                (is_data ? "data" : "delete") + " file " + f.file_path);
      }
      if (m_.format_version >= 2) {
        const int64_t seq = e.sequence_number.value_or(-1);
        const int64_t file_seq = e.file_sequence_number.value_or(seq);
        if (seq > mf.sequence_number || file_seq > mf.sequence_number) {
          Problem(name + ": entry " + f.file_path + " has sequence number " + std::to_string(seq) +
                  " above its manifest's " + std::to_string(mf.sequence_number));
        }
        if (e.status != EntryStatus::kDeleted && seq < mf.min_sequence_number) {
          Problem(name + ": live entry " + f.file_path + " has sequence number " +
                  std::to_string(seq) + " below the manifest's min_sequence_number " +
                  std::to_string(mf.min_sequence_number));
        }
      }
      if (e.status == EntryStatus::kDeleted) continue;
      ++totals.live_files;
      totals.live_rows += f.record_count;
      const auto [file, first] = files_.try_emplace(f.file_path, f);
      if (first) ++total_;
    }
    if (m_.format_version >= 2 &&
        (added != mf.added_files_count || existing != mf.existing_files_count ||
         deleted != mf.deleted_files_count)) {
      Problem(name + " holds " + std::to_string(added) + " added, " + std::to_string(existing) +
              " existing and " + std::to_string(deleted) +
              " deleted entries; its manifest list says " + std::to_string(mf.added_files_count) +
              ", " + std::to_string(mf.existing_files_count) + " and " +
              std::to_string(mf.deleted_files_count));
    }
    return totals;
  }

  void CheckFile(const std::string& path, const DataFile& f) {
    const bool is_data = f.content == FileContent::kData;
    const std::string name = std::string(is_data ? "data" : "delete") + " file " + path;
    Progress(name);
    ++(is_data ? report_.data_files : report_.delete_files);
    try {
      const std::string local = LocalFilePath(path, is_data ? "data file" : "delete file");
      const FileInfo info = io_.Stat(local);
      report_.bytes += static_cast<int64_t>(info.size);
      if (static_cast<int64_t>(info.size) != f.file_size_in_bytes) {
        Problem(name + " has " + std::to_string(info.size) + " bytes, its manifest says " +
                std::to_string(f.file_size_in_bytes));
      }
      if (f.file_format != "PARQUET" && f.file_format != "parquet") return;
      std::unique_ptr<parquet::ParquetReader> reader =
          parquet::ParquetReader::Open(io_.OpenRead(local));
      if (reader->num_rows() != f.record_count) {
        Problem(name + " holds " + std::to_string(reader->num_rows()) +
                " rows, its manifest says " + std::to_string(f.record_count));
      }
      if (!options_.deep) return;
      reader->Start(parquet::ReadOptions{});
      std::vector<ColumnVector> columns;
      int64_t rows = 0;
      while (reader->Next(&columns)) {
        if (!columns.empty()) rows += static_cast<int64_t>(columns[0].size());
      }
      report_.rows_decoded += rows;
      if (!reader->columns().empty() && rows != reader->num_rows()) {
        Problem(name + " decodes to " + std::to_string(rows) + " rows, its footer says " +
                std::to_string(reader->num_rows()));
      }
    } catch (const NotFound&) {
      Problem(name + " is missing");
    } catch (const Error& e) {
      Problem(name + " cannot be read: " + e.what());
    }
  }

  void CheckLog(IngestLog& log) {
    try {
      const std::vector<LogRecord> tail = log.ReadDurable(FoldedPosition(m_.CurrentSnapshot()));
      report_.log_records = static_cast<int64_t>(tail.size());
      FoldRecords(tail, m_, log.dir());
    } catch (const Error& e) {
      Problem("ingest log " + log.dir() + ": " + e.what());
    }
  }

  FileIO& io_;
  const TableMetadata& m_;
  const VerifyOptions& options_;
  VerifyReport report_;
  std::map<std::string, ManifestTotals> manifests_;
  std::map<std::string, DataFile> files_;  // live data and delete files, by path
  int64_t done_ = 0;
  int64_t total_ = 0;
};

}  // namespace

VerifyReport VerifyTable(FileIO& io, const TableMetadata& metadata, IngestLog* log,
                         const VerifyOptions& options) {
  return Verifier(io, metadata, options).Run(log);
}

}  // namespace datashard
