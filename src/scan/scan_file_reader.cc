#include "scan/scan_file_reader.h"

#include <algorithm>
#include <string>

#include "datashard/errors.h"
#include "expr/expression_pruning.h"
#include "metadata/file_location.h"
#include "types/type_promotion.h"

namespace datashard {

namespace {

// In place, so that a filtered batch costs no new allocation (nor the page
// faults of one); the kept values move forward.
template <typename T>
void CompactVector(const std::vector<uint8_t>& selection, size_t kept, std::vector<T>* v) {
  if (v->size() != selection.size()) return;
  size_t out = 0;
  for (size_t i = 0; i < v->size(); ++i) {
    if (selection[i]) {
      if (out != i) (*v)[out] = std::move((*v)[i]);
      ++out;
    }
  }
  v->resize(kept);
}

// Field ids of the columns `e` compares for (in)equality: =, !=, IN, NOT IN,
// the predicates a dictionary decides better than bounds.
void EqualityColumns(const Expression& e, std::vector<int>* ids) {
  if (e.kind() == Expression::Kind::kPredicate) {
    const Expression::Op op = e.op();
    if ((op == Expression::Op::kEq || op == Expression::Op::kNe || op == Expression::Op::kIn ||
         op == Expression::Op::kNotIn) &&
        std::find(ids->begin(), ids->end(), e.field_id()) == ids->end()) {
      ids->push_back(e.field_id());
    }
    return;
  }
  for (const Expression& child : e.children()) EqualityColumns(child, ids);
}

}  // namespace

void CompactColumn(const std::vector<uint8_t>& selection, size_t kept, ColumnVector* column) {
  CompactVector(selection, kept, &column->validity());
  CompactVector(selection, kept, &column->bools);
  CompactVector(selection, kept, &column->ints);
  CompactVector(selection, kept, &column->longs);
  CompactVector(selection, kept, &column->floats);
  CompactVector(selection, kept, &column->doubles);
  CompactVector(selection, kept, &column->decimals);
  CompactVector(selection, kept, &column->bytes);
  CompactVector(selection, kept, &column->views);
}

ScanFileReader::ScanFileReader(FileIO& io, const PlannedFile& file, const PartitionSpec* spec,
                               const Schema& read_schema, std::optional<Expression> filter,
                               int64_t batch_size, ScanCounters* counters, DeleteFileList deletes,
                               DeleteLoader* loader, const NameMapping* name_mapping,
                               RowGroupSlice slice)
    : io_(io),
      file_(file),
      spec_(spec),
      read_schema_(read_schema),
      filter_(std::move(filter)),
      batch_size_(batch_size),
      counters_(counters),
      deletes_(std::move(deletes)),
      loader_(loader),
      name_mapping_(name_mapping),
      slice_(slice) {}

namespace {

bool IsParquet(const DataFile& df) {
  return df.file_format == "PARQUET" || df.file_format == "parquet";
}

}  // namespace

int ScanFileReader::CountRowGroups(FileIO& io, const PlannedFile& file) {
  const DataFile& df = file.entry.data_file;
  if (!IsParquet(df)) return 1;
  return static_cast<int>(
      parquet::ParquetReader::Open(io.OpenRead(LocalFilePath(df.file_path, "data file")))
          ->row_groups()
          .size());
}

void ScanFileReader::Open() {
  opened_ = true;
  const DataFile& df = file_.entry.data_file;
  if (!IsParquet(df)) {
    throw NotSupported("data file " + df.file_path + " has format " + df.file_format +
                       "; datashard reads Parquet data files only");
  }
  reader_ = parquet::ParquetReader::Open(io_.OpenRead(LocalFilePath(df.file_path, "data file")));
  if (!deletes_.empty()) {
    row_deletes_ = std::make_unique<RowDeleteFilter>(*loader_, file_, deletes_, read_schema_);
  }
  const auto& file_columns = reader_->columns();
  const FileColumnResolver resolver(file_columns, name_mapping_, "data file " + df.file_path);

  // Which file column (or constant) each table field comes from.
  std::vector<int> file_index(read_schema_.fields().size(), -1);
  sources_.assign(read_schema_.fields().size(), Source{});
  for (size_t c = 0; c < read_schema_.fields().size(); ++c) {
    const Field& field = read_schema_.fields()[c];
    file_index[c] = resolver.Find(field.id);
    if (file_index[c] >= 0) {
      const parquet::FileColumn& fc = file_columns[static_cast<size_t>(file_index[c])];
      if (!ReadsAs(fc.type, field.type)) {
        throw Corruption("data file " + df.file_path + " stores column '" + field.name + "'" +
                         FileColumnNote(fc, field) + " as " + fc.type.ToString() +
                         " but the table type is " + field.type.ToString());
      }
      continue;
    }
    if (spec_ == nullptr) continue;
    for (size_t p = 0; p < spec_->fields().size() && p < df.partition.size(); ++p) {
      const PartitionField& pf = spec_->fields()[p];
      if (pf.source_id == field.id && pf.transform.kind() == TransformKind::kIdentity) {
        sources_[c].constant = PromoteValue(df.partition[p], field.type);
      }
    }
  }

  // Row groups the filter may match, by their column chunk statistics, and
  // that position deletes leave a row of; within them, the rows of the pages
  // the filter may match by the file's page index.
  const auto& groups = reader_->row_groups();
  std::vector<int> equality_columns;
  if (filter_) EqualityColumns(*filter_, &equality_columns);
  std::vector<int> selected;
  std::vector<std::vector<parquet::RowRange>> group_ranges;
  bool some_ranges = false;
  const size_t slice_begin = std::min(static_cast<size_t>(slice_.first), groups.size());
  const size_t slice_end =
      slice_.count < 0 ? groups.size()
                       : std::min(groups.size(), slice_begin + static_cast<size_t>(slice_.count));
  int64_t group_start = 0;
  for (size_t g = 0; g < slice_begin; ++g) group_start += groups[g].num_rows;
  for (size_t g = slice_begin; g < slice_end; ++g) {
    const parquet::RowGroupInfo& rg = groups[g];
    const int64_t start = group_start;
    group_start += rg.num_rows;
    if (row_deletes_) {
      const std::vector<int64_t>& deleted = row_deletes_->positions();
      const auto first = std::lower_bound(deleted.begin(), deleted.end(), start);
      const auto last = std::lower_bound(first, deleted.end(), start + rg.num_rows);
      if (rg.num_rows > 0 && last - first == rg.num_rows) {
        counters_->rows_deleted += rg.num_rows;
        continue;
      }
    }
    std::vector<parquet::RowRange> rows{{0, rg.num_rows}};
    if (filter_) {
      DataStats stats = GroupStats(rg, file_index);
      if (!MightMatch(*filter_, stats)) continue;
      if (AddDictionaries(static_cast<int>(g), equality_columns, file_index, &stats) &&
          !MightMatch(*filter_, stats)) {
        continue;
      }
      rows = PageRows(static_cast<int>(g), stats, file_index);
      if (rows.empty()) continue;
      some_ranges = some_ranges || rows.size() != 1 || rows[0].end - rows[0].begin != rg.num_rows;
    }
    selected.push_back(static_cast<int>(g));
    for (const parquet::RowRange& r : rows) {
      ranges_.push_back(RowRange{start + r.begin, r.end - r.begin});
    }
    group_ranges.push_back(std::move(rows));
  }
  counters_->row_groups_considered += static_cast<int64_t>(slice_end - slice_begin);
  counters_->row_groups_pruned += static_cast<int64_t>(slice_end - slice_begin - selected.size());

  parquet::ReadOptions options;
  options.batch_size = batch_size_;
  options.string_views = true;
  options.row_groups = selected;
  if (some_ranges) options.row_ranges = std::move(group_ranges);
  for (size_t c = 0; c < read_schema_.fields().size(); ++c) {
    if (file_index[c] < 0) continue;
    sources_[c].read_index = static_cast<int>(options.columns.size());
    options.columns.push_back(file_index[c]);
  }
  remaining_rows_ = 0;
  for (const RowRange& r : ranges_) remaining_rows_ += r.count;
  int64_t bytes = 0;
  for (int g : selected) {
    for (int k : options.columns) {
      bytes += groups[static_cast<size_t>(g)].columns[static_cast<size_t>(k)].compressed_size;
    }
  }
  counters_->bytes_read += bytes;
  reads_columns_ = !options.columns.empty() && !selected.empty();
  if (reads_columns_) {
    reader_->Start(options);
    read_.resize(options.columns.size());
  } else {
    reader_.reset();
  }
  if (!filter_ || row_deletes_ || !reads_columns_) return;
  // Batches are filtered before the columns the filter does not name are
  // decoded, when it names only file columns and leaves some to skip.
  const auto referenced = filter_->ReferencedFieldIds();
  std::vector<size_t> columns;
  std::vector<Field> probe_fields;
  for (size_t c = 0; c < read_schema_.fields().size(); ++c) {
    const Field& field = read_schema_.fields()[c];
    if (std::find(referenced.begin(), referenced.end(), field.id) == referenced.end()) continue;
    if (sources_[c].read_index < 0) return;
    columns.push_back(c);
    probe_fields.push_back(field);
  }
  if (columns.size() == options.columns.size()) return;
  filter_columns_ = std::move(columns);
  probe_.schema = Schema(read_schema_.schema_id(), std::move(probe_fields));
}

DataStats ScanFileReader::GroupStats(const parquet::RowGroupInfo& rg,
                                     const std::vector<int>& file_index) const {
  DataStats stats;
  stats.row_count = rg.num_rows;
  for (size_t c = 0; c < read_schema_.fields().size(); ++c) {
    const Field& field = read_schema_.fields()[c];
    ColumnStats cs;
    if (file_index[c] >= 0) {
      const parquet::ChunkStatistics& s = rg.columns[static_cast<size_t>(file_index[c])];
      if (s.min) cs.lower = PromoteValue(*s.min, field.type);
      if (s.max) cs.upper = PromoteValue(*s.max, field.type);
      cs.null_count = s.null_count;
      cs.nan_count = s.nan_count;
      cs.value_count = s.num_values;
    } else if (!sources_[c].constant.is_null()) {
      cs.lower = cs.upper = sources_[c].constant;
      cs.null_count = 0;
      cs.value_count = rg.num_rows;
    } else {
      cs.null_count = cs.value_count = rg.num_rows;  // the column is absent: all null
    }
    stats.columns[field.id] = std::move(cs);
  }
  return stats;
}

bool ScanFileReader::AddDictionaries(int group, const std::vector<int>& field_ids,
                                     const std::vector<int>& file_index, DataStats* stats) {
  bool added = false;
  for (size_t c = 0; c < read_schema_.fields().size(); ++c) {
    const Field& field = read_schema_.fields()[c];
    if (file_index[c] < 0 ||
        std::find(field_ids.begin(), field_ids.end(), field.id) == field_ids.end()) {
      continue;
    }
    const std::optional<ColumnVector> dictionary = reader_->ChunkDictionary(group, file_index[c]);
    if (!dictionary) continue;
    std::vector<Value> values;
    values.reserve(dictionary->size());
    for (size_t i = 0; i < dictionary->size(); ++i) {
      values.push_back(PromoteValue(dictionary->Get(i), field.type));
    }
    stats->columns[field.id].values = std::move(values);
    added = true;
  }
  return added;
}

std::vector<parquet::RowRange> ScanFileReader::PageRows(int group, const DataStats& group_stats,
                                                        const std::vector<int>& file_index) {
  const int64_t rows = reader_->row_groups()[static_cast<size_t>(group)].num_rows;
  const std::vector<int> referenced = filter_->ReferencedFieldIds();
  // The pages of each filter column that has page bounds, by field id.
  std::vector<std::pair<size_t, std::vector<parquet::PageInfo>>> indexed;
  std::vector<int64_t> starts;
  for (size_t c = 0; c < read_schema_.fields().size(); ++c) {
    const Field& field = read_schema_.fields()[c];
    if (file_index[c] < 0 ||
        std::find(referenced.begin(), referenced.end(), field.id) == referenced.end()) {
      continue;
    }
    std::vector<parquet::PageInfo> pages = reader_->PageIndex(group, file_index[c]);
    const bool bounded = std::any_of(pages.begin(), pages.end(), [](const parquet::PageInfo& p) {
      return p.min.has_value() || p.all_null || p.null_count.has_value();
    });
    if (!bounded) continue;
    for (const parquet::PageInfo& p : pages) starts.push_back(p.first_row);
    indexed.emplace_back(c, std::move(pages));
  }
  if (indexed.empty()) return {{0, rows}};
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  // Every run of rows between two page starts (of any filter column) lies in
  // one page of each column: it is kept if the filter may match those pages.
  std::vector<parquet::RowRange> kept;
  std::vector<size_t> page(indexed.size(), 0);
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t begin = starts[i], end = i + 1 < starts.size() ? starts[i + 1] : rows;
    DataStats stats = group_stats;
    stats.row_count = end - begin;
    for (size_t k = 0; k < indexed.size(); ++k) {
      const auto& [c, pages] = indexed[k];
      while (page[k] + 1 < pages.size() && pages[page[k] + 1].first_row <= begin) ++page[k];
      const parquet::PageInfo& p = pages[page[k]];
      const Field& field = read_schema_.fields()[c];
      ColumnStats& cs = stats.columns[field.id];
      cs.lower.reset();
      cs.upper.reset();
      if (p.min) cs.lower = PromoteValue(*p.min, field.type);
      if (p.max) cs.upper = PromoteValue(*p.max, field.type);
      cs.null_count = p.null_count;
      cs.value_count = p.num_rows;
      // A chunk without NaN has pages without NaN; otherwise a page's is unknown.
      if (cs.nan_count && *cs.nan_count != 0) cs.nan_count.reset();
    }
    if (!MightMatch(*filter_, stats)) continue;
    if (!kept.empty() && kept.back().end == begin) {
      kept.back().end = end;
    } else {
      kept.push_back({begin, end});
    }
  }
  return kept;
}

void ScanFileReader::ReportReads() {
  if (!reader_) return;
  counters_->pages_read += reader_->pages_read() - pages_read_;
  counters_->pages_skipped += reader_->pages_skipped() - pages_skipped_;
  counters_->columns_allocated += reader_->columns_allocated() - columns_allocated_;
  columns_allocated_ = reader_->columns_allocated();
  pages_read_ = reader_->pages_read();
  pages_skipped_ = reader_->pages_skipped();
}

bool ScanFileReader::NextUnfiltered(RecordBatch* batch) {
  if (!opened_) Open();
  size_t n = 0;
  if (reads_columns_) {
    const bool more = reader_->Next(&read_);
    ReportReads();
    if (!more) return false;
    n = read_.empty() ? 0 : read_[0].size();
  } else {
    // No file column is read; the rows come from the row group sizes.
    n = static_cast<size_t>(std::min(remaining_rows_, batch_size_));
    remaining_rows_ -= static_cast<int64_t>(n);
    if (n == 0) return false;
  }
  if (row_deletes_) TakePositions(n);
  batch->schema = read_schema_;
  batch->columns.resize(read_schema_.fields().size());
  for (size_t c = 0; c < read_schema_.fields().size(); ++c) TakeColumn(c, n, &batch->columns[c]);
  return true;
}

void ScanFileReader::TakeColumn(size_t c, size_t n, ColumnVector* out) {
  const DataType& type = read_schema_.fields()[c].type;
  const Source& src = sources_[c];
  if (src.read_index >= 0) {
    ColumnVector& col = read_[static_cast<size_t>(src.read_index)];
    if (col.type() == type) {
      // The old storage of `out` goes back to the Parquet reader to refill.
      std::swap(*out, col);
      return;
    }
  }
  // Widened or constant values, built in the storage `out` already has.
  if (!(out->type() == type)) *out = ColumnVector(type);
  out->Clear();
  if (out->capacity() < n) ++counters_->columns_allocated;
  out->Reserve(n);
  if (src.read_index >= 0) {
    const ColumnVector& col = read_[static_cast<size_t>(src.read_index)];
    for (size_t i = 0; i < col.size(); ++i) out->Append(PromoteValue(col.Get(i), type));
  } else {
    for (size_t i = 0; i < n; ++i) out->Append(src.constant);
  }
}

bool ScanFileReader::NextFilterFirst(RecordBatch* batch) {
  for (;;) {
    const size_t n = reader_->NextBatch();
    ReportReads();
    if (n == 0) return false;
    probe_.columns.resize(filter_columns_.size());
    for (size_t k = 0; k < filter_columns_.size(); ++k) {
      const size_t c = filter_columns_[k];
      const size_t r = static_cast<size_t>(sources_[c].read_index);
      reader_->ReadColumn(r, &read_[r]);
      TakeColumn(c, n, &probe_.columns[k]);
    }
    filter_->Select(probe_, &selection_);
    size_t kept = 0;
    for (uint8_t s : selection_) kept += s;
    if (kept == 0) continue;  // NextBatch() skips the other columns
    batch->schema = read_schema_;
    batch->columns.resize(read_schema_.fields().size());
    size_t k = 0;
    for (size_t c = 0; c < read_schema_.fields().size(); ++c) {
      if (k < filter_columns_.size() && filter_columns_[k] == c) {
        std::swap(batch->columns[c], probe_.columns[k++]);
        continue;
      }
      const int r = sources_[c].read_index;
      if (r >= 0) reader_->ReadColumn(static_cast<size_t>(r), &read_[static_cast<size_t>(r)]);
      TakeColumn(c, n, &batch->columns[c]);
    }
    ReportReads();
    if (kept != n) {
      for (ColumnVector& col : batch->columns) CompactColumn(selection_, kept, &col);
    }
    return true;
  }
}

void ScanFileReader::TakePositions(size_t n) {
  row_positions_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    while (range_offset_ == ranges_[range_].count) {
      ++range_;
      range_offset_ = 0;
    }
    row_positions_[i] = ranges_[range_].start + range_offset_++;
  }
}

size_t ScanFileReader::SelectRows(const RecordBatch& batch) {
  if (filter_) {
    filter_->Select(batch, &selection_);
  } else {
    selection_.assign(batch.num_rows(), 1);
  }
  if (row_deletes_)
    counters_->rows_deleted += row_deletes_->Apply(batch, row_positions_, &selection_);
  size_t kept = 0;
  for (uint8_t s : selection_) kept += s;
  return kept;
}

bool ScanFileReader::Next(RecordBatch* batch) {
  if (!opened_) Open();
  if (!filter_columns_.empty()) return NextFilterFirst(batch);
  while (NextUnfiltered(batch)) {
    if (!filter_ && !row_deletes_) return true;
    const size_t kept = SelectRows(*batch);
    if (kept == 0) continue;
    if (kept == batch->num_rows()) return true;
    for (ColumnVector& col : batch->columns) CompactColumn(selection_, kept, &col);
    return true;
  }
  return false;
}

int64_t ScanFileReader::CountRows() {
  int64_t rows = 0;
  while (NextUnfiltered(&count_)) {
    rows += static_cast<int64_t>(filter_ || row_deletes_ ? SelectRows(count_) : count_.num_rows());
  }
  return rows;
}

}  // namespace datashard
