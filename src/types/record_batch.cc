#include "datashard/record_batch.h"

namespace datashard {

Record RecordBatch::Row(size_t i) const {
  Record row;
  row.reserve(columns.size());
  for (const ColumnVector& c : columns) row.push_back(c.Get(i));
  return row;
}

}  // namespace datashard
