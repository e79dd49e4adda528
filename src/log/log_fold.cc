#include "log/log_fold.h"

#include <iterator>
#include <unordered_map>

#include "datashard/errors.h"
#include "log/log_record.h"
#include "types/value_key.h"

namespace datashard {

namespace {

// Appends `from` to `into` (the same type): only one storage vector of a
// column is in use, the others are empty and append nothing.
void Concatenate(ColumnVector& into, ColumnVector& from) {
  const auto cat = [](auto& a, auto& b) {
    a.insert(a.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
  };
  cat(into.validity(), from.validity());
  cat(into.bools, from.bools);
  cat(into.ints, from.ints);
  cat(into.longs, from.longs);
  cat(into.floats, from.floats);
  cat(into.doubles, from.doubles);
  cat(into.decimals, from.decimals);
  cat(into.bytes, from.bytes);
}

}  // namespace

LogPosition FoldedPosition(const Snapshot* snapshot) {
  LogPosition p;
  if (snapshot == nullptr || !snapshot->summary.count(kLogFoldedOffsetSummaryKey)) return p;
  p.offset = static_cast<uint64_t>(snapshot->SummaryLong(kLogFoldedOffsetSummaryKey));
  p.lsn = static_cast<uint64_t>(snapshot->SummaryLong(kLogFoldedLsnSummaryKey, 1));
  return p;
}

FoldedRows FoldRecords(const std::vector<LogRecord>& records, const TableMetadata& metadata,
                       const std::string& log_dir) {
  const Schema& schema = metadata.CurrentSchema();
  const PartitionSpec& spec = metadata.DefaultSpec();
  const std::vector<DataType> types = spec.ResultTypes(schema);
  FoldedRows out;
  std::unordered_map<std::string, size_t> index;
  for (const LogRecord& r : records) {
    const std::string source = "ingest log " + log_dir + " record LSN " + std::to_string(r.lsn);
    int schema_id = 0, spec_id = 0;
    PeekLogAppendIds(r.payload, source, &schema_id, &spec_id);
    if (schema_id != schema.schema_id() || spec_id != metadata.default_spec_id) {
      throw NotSupported(source + " was written with schema " + std::to_string(schema_id) +
                         " and spec " + std::to_string(spec_id) + ", the table now has schema " +
                         std::to_string(schema.schema_id()) + " and spec " +
                         std::to_string(metadata.default_spec_id));
    }
    LogAppend a = DecodeLogAppend(r.payload, schema, types, source);
    ++out.records;
    for (PartitionGroup& g : a.groups) {
      out.rows += static_cast<int64_t>(g.num_rows());
      const auto [it, fresh] = index.emplace(TupleKey(g.partition), out.groups.size());
      if (fresh) {
        out.groups.push_back(std::move(g));
        continue;
      }
      PartitionGroup& into = out.groups[it->second];
      for (size_t c = 0; c < into.columns.size(); ++c) Concatenate(into.columns[c], g.columns[c]);
    }
  }
  return out;
}

}  // namespace datashard
