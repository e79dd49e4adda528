#include "log/log_fold.h"

#include <iterator>
#include <unordered_map>

#include "datashard/errors.h"
#include "log/log_record.h"
#include "types/type_promotion.h"
#include "types/value_key.h"

namespace datashard {

namespace {

// Appends `from` to `into` (the same type): only one storage vector of a
// column is in use, the others are empty and append nothing.
void Concatenate(ColumnVector& into, ColumnVector& from) {
  const auto cat = [](auto& a, auto& b) {
    a.insert(a.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
  };
  into.OwnBytes();
  from.OwnBytes();
  cat(into.validity(), from.validity());
  cat(into.bools, from.bools);
  cat(into.ints, from.ints);
  cat(into.longs, from.longs);
  cat(into.floats, from.floats);
  cat(into.doubles, from.doubles);
  cat(into.decimals, from.decimals);
  cat(into.bytes, from.bytes);
}

// Rewrites the columns of `group`, written with schema `written` (an
// append from before a schema change), as the columns of `schema`, by field
// id: added columns null, widened ones promoted, dropped ones gone.
void ProjectColumns(const Schema& written, const Schema& schema, const std::string& source,
                    PartitionGroup* group) {
  const size_t rows = group->num_rows();
  std::vector<ColumnVector> columns;
  for (const Field& f : schema.fields()) {
    const int index = written.IndexOfId(f.id);
    if (index >= 0 && written.fields()[static_cast<size_t>(index)].type == f.type) {
      columns.push_back(std::move(group->columns[static_cast<size_t>(index)]));
      continue;
    }
    if (index < 0 && f.required) {
      throw NotSupported(source + " was written with schema " +
                         std::to_string(written.schema_id()) + ", which lacks required column '" +
                         f.name + "' of schema " + std::to_string(schema.schema_id()));
    }
    if (index >= 0 && !ReadsAs(written.fields()[static_cast<size_t>(index)].type, f.type)) {
      throw NotSupported(source + " holds column '" + f.name + "' as " +
                         written.fields()[static_cast<size_t>(index)].type.ToString() +
                         ", which does not read as its type " + f.type.ToString());
    }
    ColumnVector out(f.type);
    out.Reserve(rows);
    for (size_t i = 0; i < rows; ++i) {
      if (index < 0) {
        out.AppendNull();
      } else {
        out.Append(PromoteValue(group->columns[static_cast<size_t>(index)].Get(i), f.type));
      }
    }
    columns.push_back(std::move(out));
  }
  group->columns = std::move(columns);
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
    const Schema* written = metadata.SchemaById(schema_id);
    const PartitionSpec* written_spec = metadata.SpecById(spec_id);
    if (written == nullptr || written_spec == nullptr) {
      throw NotSupported(source + " was written with schema " + std::to_string(schema_id) +
                         " and spec " + std::to_string(spec_id) + ", the table now has schema " +
                         std::to_string(schema.schema_id()) + " and spec " +
                         std::to_string(metadata.default_spec_id));
    }
    const bool same_spec = spec_id == metadata.default_spec_id;
    LogAppend a = DecodeLogAppend(r.payload, *written,
                                  same_spec ? types : written_spec->ResultTypes(*written), source);
    if (written->schema_id() != schema.schema_id()) {
      for (PartitionGroup& g : a.groups) ProjectColumns(*written, schema, source, &g);
    }
    if (!same_spec) {
      // An append from before a partition spec change: its rows go to the
      // partitions of the current spec.
      AppendInput regrouped(schema, spec, schema, {});
      for (const PartitionGroup& g : a.groups) regrouped.AddColumns(g.columns);
      a.groups = regrouped.TakeGroups();
    }
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
