#include "scan/tail_reader.h"

#include <algorithm>

namespace datashard {

namespace {

class TailReader final : public ScanReader {
 public:
  TailReader(std::unique_ptr<ScanReader> files, std::vector<RecordBatch> tail,
             std::optional<Expression> filter, Schema output_schema)
      : files_(std::move(files)),
        tail_(std::move(tail)),
        filter_(std::move(filter)),
        schema_(std::move(output_schema)) {}

  const Schema& schema() const override { return schema_; }

  bool Next(RecordBatch* batch) override {
    if (files_ && files_->Next(batch)) return true;
    while (next_ < tail_.size()) {
      RecordBatch& in = tail_[next_++];
      std::vector<uint8_t> keep(in.num_rows(), 1);
      if (filter_) filter_->Select(in, &keep);
      const auto kept = static_cast<size_t>(std::count(keep.begin(), keep.end(), uint8_t{1}));
      if (kept == 0) continue;
      batch->schema = schema_;
      batch->columns.clear();
      for (const Field& f : schema_.fields()) {
        const int index = in.schema.IndexOfId(f.id);
        ColumnVector out(f.type);
        out.Reserve(kept);
        for (size_t i = 0; i < keep.size(); ++i) {
          if (!keep[i]) continue;
          if (index < 0) {
            out.AppendNull();
          } else {
            out.Append(in.columns[static_cast<size_t>(index)].Get(i));
          }
        }
        batch->columns.push_back(std::move(out));
      }
      in = RecordBatch();  // memory goes as the scan moves on
      tail_rows_ += static_cast<int64_t>(kept);
      return true;
    }
    return false;
  }

  ScanMetrics metrics() const override {
    ScanMetrics m = files_ ? files_->metrics() : ScanMetrics();
    m.rows_returned += tail_rows_;
    return m;
  }

 private:
  std::unique_ptr<ScanReader> files_;
  std::vector<RecordBatch> tail_;
  std::optional<Expression> filter_;
  Schema schema_;
  size_t next_ = 0;
  int64_t tail_rows_ = 0;
};

}  // namespace

std::unique_ptr<ScanReader> WithTailRows(std::unique_ptr<ScanReader> files,
                                         std::vector<RecordBatch> tail,
                                         std::optional<Expression> filter, Schema output_schema) {
  return std::make_unique<TailReader>(std::move(files), std::move(tail), std::move(filter),
                                      std::move(output_schema));
}

int64_t CountTailRows(const std::vector<RecordBatch>& tail,
                      const std::optional<Expression>& filter) {
  int64_t n = 0;
  for (const RecordBatch& b : tail) {
    if (!filter) {
      n += static_cast<int64_t>(b.num_rows());
      continue;
    }
    std::vector<uint8_t> keep;
    filter->Select(b, &keep);
    n += std::count(keep.begin(), keep.end(), uint8_t{1});
  }
  return n;
}

}  // namespace datashard
