#include "log/log_record.h"

#include <algorithm>

#include <cstring>
#include <type_traits>

#include "datashard/errors.h"
#include "format/avro/avro_encoding.h"

namespace datashard {

namespace {

constexpr int64_t kFormatVersion = 1;

// Fixed-width storage of a column, or nullptr for variable-width types.
template <typename Fn>
auto WithFixedStorage(ColumnVector& c, Fn fn) {
  switch (c.type().id) {
    case TypeId::kBoolean:
      return fn(c.bools);
    case TypeId::kInt:
    case TypeId::kDate:
      return fn(c.ints);
    case TypeId::kLong:
    case TypeId::kTime:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      return fn(c.longs);
    case TypeId::kFloat:
      return fn(c.floats);
    case TypeId::kDouble:
      return fn(c.doubles);
    case TypeId::kDecimal:
      return fn(c.decimals);
    default:
      return fn(c.bytes);
  }
}

// Little-endian machines only, like the segment headers: values are copied
// as they lie in memory.
void EncodeColumn(const ColumnVector& column, AvroEncoder& out) {
  const auto& valid = column.validity();
  out.WriteLong(static_cast<int64_t>(valid.size()));
  out.WriteRaw(reinterpret_cast<const char*>(valid.data()), valid.size());
  auto& c = const_cast<ColumnVector&>(column);
  WithFixedStorage(c, [&](auto& values) {
    using T = typename std::decay_t<decltype(values)>::value_type;
    if constexpr (std::is_same_v<T, std::string>) {
      for (const std::string& v : values) out.WriteBytes(v);
    } else {
      out.WriteRaw(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
    }
    return 0;
  });
}

ColumnVector DecodeColumn(const DataType& type, AvroDecoder& in) {
  ColumnVector c(type);
  const int64_t n = in.ReadLong();
  if (n < 0 || static_cast<uint64_t>(n) > in.remaining())
    in.Fail("bad row count " + std::to_string(n));
  const std::string valid = in.ReadFixed(static_cast<size_t>(n));
  c.validity().assign(valid.begin(), valid.end());
  WithFixedStorage(c, [&](auto& values) {
    using T = typename std::decay_t<decltype(values)>::value_type;
    if constexpr (std::is_same_v<T, std::string>) {
      // n is bounded by the bytes left, not by sizeof(std::string) times them.
      values.reserve(std::min<size_t>(static_cast<size_t>(n), 1024));
      for (int64_t i = 0; i < n; ++i) values.push_back(in.ReadBytes());
      if (c.validity().size() != values.size()) in.Fail("column lengths differ");
    } else {
      const size_t bytes = static_cast<size_t>(n) * sizeof(T);
      if (bytes > in.remaining())
        in.Fail("column of " + std::to_string(n) + " values is cut short");
      const std::string raw = in.ReadFixed(bytes);
      values.resize(static_cast<size_t>(n));
      if (bytes != 0) std::memcpy(values.data(), raw.data(), bytes);  // data() may be null
    }
    return 0;
  });
  return c;
}

}  // namespace

int64_t LogAppend::num_rows() const {
  int64_t n = 0;
  for (const PartitionGroup& g : groups) n += static_cast<int64_t>(g.num_rows());
  return n;
}

std::string EncodeLogAppend(const LogAppend& append, const std::vector<DataType>& partition_types) {
  std::string out;
  AvroEncoder e(&out);
  e.WriteLong(kFormatVersion);
  e.WriteLong(append.schema_id);
  e.WriteLong(append.spec_id);
  e.WriteBytes(append.commit_id);
  e.WriteLong(static_cast<int64_t>(append.groups.size()));
  for (const PartitionGroup& g : append.groups) {
    for (size_t i = 0; i < partition_types.size(); ++i) {
      ColumnVector one(partition_types[i]);
      one.Append(g.partition.at(i));
      EncodeColumn(one, e);
    }
    e.WriteLong(static_cast<int64_t>(g.columns.size()));
    for (const ColumnVector& c : g.columns) EncodeColumn(c, e);
  }
  return out;
}

namespace {

void ReadHead(AvroDecoder& in, int* schema_id, int* spec_id) {
  const int64_t version = in.ReadLong();
  if (version != kFormatVersion) in.Fail("unknown log record version " + std::to_string(version));
  *schema_id = in.ReadInt();
  *spec_id = in.ReadInt();
}

}  // namespace

void PeekLogAppendIds(const std::string& payload, const std::string& source, int* schema_id,
                      int* spec_id) {
  AvroDecoder in(payload.data(), payload.size(), source);
  ReadHead(in, schema_id, spec_id);
}

LogAppend DecodeLogAppend(const std::string& payload, const Schema& schema,
                          const std::vector<DataType>& partition_types, const std::string& source) {
  AvroDecoder in(payload.data(), payload.size(), source);
  LogAppend a;
  ReadHead(in, &a.schema_id, &a.spec_id);
  a.commit_id = in.ReadBytes();
  const int64_t groups = in.ReadLong();
  if (groups < 0 || static_cast<uint64_t>(groups) > in.remaining()) {
    in.Fail("bad partition group count " + std::to_string(groups));
  }
  for (int64_t gi = 0; gi < groups; ++gi) {
    PartitionGroup g;
    for (const DataType& t : partition_types) {
      ColumnVector one = DecodeColumn(t, in);
      if (one.size() != 1) in.Fail("a partition value is not one value");
      g.partition.push_back(one.Get(0));
    }
    const int64_t columns = in.ReadLong();
    if (columns != static_cast<int64_t>(schema.fields().size())) {
      in.Fail("record holds " + std::to_string(columns) + " columns, schema " +
              std::to_string(schema.schema_id()) + " has " +
              std::to_string(schema.fields().size()));
    }
    for (const Field& f : schema.fields()) {
      g.columns.push_back(DecodeColumn(f.type, in));
      if (g.columns.back().size() != g.columns.front().size()) in.Fail("columns differ in length");
    }
    a.groups.push_back(std::move(g));
  }
  if (in.remaining() != 0) in.Fail(std::to_string(in.remaining()) + " bytes follow the record");
  return a;
}

}  // namespace datashard
