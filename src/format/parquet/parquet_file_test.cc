#include <cmath>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "datashard/errors.h"
#include "format/parquet/bit_util.h"
#include "format/parquet/memory_file.h"
#include "format/parquet/parquet_reader.h"
#include "format/parquet/parquet_thrift.h"
#include "format/parquet/parquet_writer.h"

namespace datashard::parquet {
namespace {

Schema AllTypesSchema() {
  const DataType types[] = {
      DataType::Boolean(),      DataType::Int(),           DataType::Long(),
      DataType::Float(),        DataType::Double(),        DataType::Decimal(9, 2),
      DataType::Decimal(18, 4), DataType::Decimal(38, 10), DataType::Date(),
      DataType::Time(),         DataType::Timestamp(),     DataType::TimestampTz(),
      DataType::String(),       DataType::Uuid(),          DataType::Fixed(3),
      DataType::Binary()};
  std::vector<Field> fields;
  int id = 1;
  for (const DataType& t : types) {
    for (bool required : {true, false}) {
      Field f;
      f.id = id++;
      f.name = t.ToString() + (required ? "_req" : "_opt");
      f.type = t;
      f.required = required;
      fields.push_back(f);
    }
  }
  return Schema(0, fields);
}

Int128 Pow10(int n) {
  Int128 v = 1;
  for (int i = 0; i < n; ++i) v *= 10;
  return v;
}

// Random values with a bias toward extremes, repeats and empties.
Value RandomValue(const DataType& t, std::mt19937_64& rng) {
  const int pick = static_cast<int>(rng() % 10);
  switch (t.id) {
    case TypeId::kBoolean:
      return Value(rng() % 2 == 0);
    case TypeId::kInt:
      if (pick == 0) return Value(std::numeric_limits<int32_t>::min());
      if (pick == 1) return Value(std::numeric_limits<int32_t>::max());
      return Value(static_cast<int32_t>(rng() % 100) - 50);
    case TypeId::kLong:
    case TypeId::kTimestamp:
    case TypeId::kTimestampTz:
      if (pick == 0) return Value(std::numeric_limits<int64_t>::min());
      if (pick == 1) return Value(std::numeric_limits<int64_t>::max());
      return Value(static_cast<int64_t>(rng()));
    case TypeId::kTime:
      return Value(static_cast<int64_t>(rng() % 86400000000ll));
    case TypeId::kDate:
      return Value(static_cast<int32_t>(rng() % 5000000) - 2500000);
    case TypeId::kFloat:
      if (pick == 0) return Value(std::numeric_limits<float>::quiet_NaN());
      if (pick == 1) return Value(-0.0f);
      return Value(static_cast<float>(static_cast<int>(rng() % 2000) - 1000) / 7.0f);
    case TypeId::kDouble:
      if (pick == 0) return Value(std::numeric_limits<double>::quiet_NaN());
      if (pick == 1) return Value(0.0);
      if (pick == 2) return Value(std::numeric_limits<double>::infinity());
      return Value(static_cast<double>(static_cast<int64_t>(rng())) / 3.0);
    case TypeId::kDecimal: {
      const Int128 limit = Pow10(t.precision);
      if (pick == 0) return Value::Decimal(limit - 1);
      if (pick == 1) return Value::Decimal(-(limit - 1));
      const Int128 r = (static_cast<Int128>(rng()) << 64) | rng();
      return Value::Decimal(r % limit);
    }
    case TypeId::kString: {
      if (pick == 0) return Value(std::string());
      std::string s = "s" + std::to_string(rng() % 50);
      if (pick == 1) s += "\xC3\xA9\xE2\x82\xAC";
      return Value(s);
    }
    case TypeId::kBinary: {
      std::string s(rng() % 5, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      return Value(s);
    }
    case TypeId::kUuid:
    case TypeId::kFixed: {
      std::string s(static_cast<size_t>(t.id == TypeId::kUuid ? 16 : t.length), '\0');
      for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? 0xFF : rng() % 3);
      return Value(s);
    }
  }
  return Value();
}

// Random rows; with `distinct` > 0 each column draws from that many random
// values, so that the writer keeps its dictionaries.
std::vector<Record> RandomRows(const Schema& s, size_t n, uint64_t seed, size_t distinct = 0) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<Value>> pools(s.fields().size());
  for (size_t c = 0; c < pools.size(); ++c) {
    for (size_t k = 0; k < distinct; ++k) pools[c].push_back(RandomValue(s.fields()[c].type, rng));
  }
  std::vector<Record> rows;
  for (size_t i = 0; i < n; ++i) {
    Record r;
    for (size_t c = 0; c < pools.size(); ++c) {
      const Field& f = s.fields()[c];
      if (!f.required && rng() % 5 == 0) {
        r.push_back(Value::Null());
      } else if (distinct > 0) {
        r.push_back(pools[c][rng() % distinct]);
      } else {
        r.push_back(RandomValue(f.type, rng));
      }
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

std::vector<ColumnVector> ToColumns(const Schema& s, const std::vector<Record>& rows, size_t begin,
                                    size_t end) {
  std::vector<ColumnVector> cols;
  for (const Field& f : s.fields()) cols.emplace_back(f.type);
  for (size_t i = begin; i < end; ++i) {
    for (size_t c = 0; c < cols.size(); ++c) cols[c].Append(rows[i][c]);
  }
  return cols;
}

// NaN != NaN for Value::operator==; compare bit patterns of floats instead.
bool SameValue(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null();
  if (std::holds_alternative<double>(a.storage())) {
    const double x = a.as_double(), y = b.as_double();
    return (std::isnan(x) && std::isnan(y)) || (x == y && std::signbit(x) == std::signbit(y));
  }
  if (std::holds_alternative<float>(a.storage())) {
    const float x = a.as_float(), y = b.as_float();
    return (std::isnan(x) && std::isnan(y)) || (x == y && std::signbit(x) == std::signbit(y));
  }
  return a == b;
}

struct WrittenFile {
  std::string bytes;
  WriteResult result;
  int syncs = 0;
};

WrittenFile WriteFile(const Schema& s, const std::vector<Record>& rows, const WriterOptions& o,
                      size_t batch = 1000) {
  WrittenFile out;
  auto file = std::make_unique<MemoryWriteFile>("mem.parquet", &out.bytes);
  MemoryWriteFile* raw = file.get();
  ParquetWriter w(std::move(file), s, o);
  for (size_t i = 0; i < rows.size(); i += batch) {
    w.Write(ToColumns(s, rows, i, std::min(rows.size(), i + batch)));
  }
  out.result = w.Finish();
  out.syncs = raw->syncs;
  return out;
}

std::unique_ptr<ParquetReader> OpenBytes(const std::string& bytes) {
  return ParquetReader::Open(std::make_unique<MemoryReadFile>("mem.parquet", bytes));
}

std::vector<Record> ReadAll(ParquetReader* r, const ReadOptions& o = {}) {
  r->Start(o);
  std::vector<Record> rows;
  std::vector<ColumnVector> batch;
  while (r->Next(&batch)) {
    EXPECT_LE(static_cast<int64_t>(batch[0].size()), o.batch_size);
    for (size_t i = 0; i < batch[0].size(); ++i) {
      Record rec;
      for (const ColumnVector& c : batch) rec.push_back(c.Get(i));
      rows.push_back(std::move(rec));
    }
  }
  return rows;
}

FileMetaData Footer(const std::string& bytes) {
  const uint32_t len =
      LoadLE<uint32_t>(reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size() - 8);
  const size_t begin = bytes.size() - 8 - len;
  CompactReader r(reinterpret_cast<const uint8_t*>(bytes.data()) + begin, len, "footer", begin);
  return ParseFileMetaData(&r);
}

void ExpectSameRows(const std::vector<Record>& got, const std::vector<Record>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), want[i].size());
    for (size_t c = 0; c < got[i].size(); ++c) {
      ASSERT_TRUE(SameValue(got[i][c], want[i][c])) << "row " << i << " column " << c;
    }
  }
}

struct Variant {
  Codec codec;
  bool dictionary;
};

class ParquetFileTest : public ::testing::TestWithParam<Variant> {};

TEST_P(ParquetFileTest, EveryTypeRoundTripsWithStatistics) {
  const Schema s = AllTypesSchema();
  const std::vector<Record> rows = RandomRows(s, 3000, 7, 40);
  WriterOptions o;
  o.codec = GetParam().codec;
  o.dictionary = GetParam().dictionary;
  o.row_group_size_bytes = 64 << 10;
  o.page_size_bytes = 4 << 10;
  const WrittenFile f = WriteFile(s, rows, o, 700);
  EXPECT_EQ(f.syncs, 1);
  EXPECT_EQ(f.result.record_count, 3000);
  EXPECT_EQ(f.result.file_size, static_cast<int64_t>(f.bytes.size()));
  EXPECT_GT(f.result.row_group_offsets.size(), 1u);

  auto r = OpenBytes(f.bytes);
  ASSERT_EQ(r->columns().size(), s.fields().size());
  for (size_t c = 0; c < s.fields().size(); ++c) {
    EXPECT_EQ(r->columns()[c].name, s.fields()[c].name);
    EXPECT_EQ(r->columns()[c].field_id, s.fields()[c].id);
    EXPECT_EQ(r->columns()[c].type, s.fields()[c].type);
    EXPECT_EQ(r->columns()[c].required, s.fields()[c].required);
  }
  EXPECT_EQ(r->num_rows(), 3000);
  EXPECT_EQ(r->created_by().rfind("datashard version 0.1.0 (build ", 0), 0u) << r->created_by();
  ReadOptions ro;
  ro.batch_size = 333;
  ExpectSameRows(ReadAll(r.get(), ro), rows);

  // Row-group statistics equal what the rows of each group give.
  size_t first = 0;
  ASSERT_EQ(r->row_groups().size(), f.result.row_group_offsets.size());
  for (size_t g = 0; g < r->row_groups().size(); ++g) {
    const RowGroupInfo& info = r->row_groups()[g];
    EXPECT_EQ(info.file_offset, f.result.row_group_offsets[g]);
    for (size_t c = 0; c < s.fields().size(); ++c) {
      const DataType& t = s.fields()[c].type;
      std::optional<Value> lo, hi;
      int64_t nulls = 0;
      for (size_t i = first; i < first + static_cast<size_t>(info.num_rows); ++i) {
        const Value& v = rows[i][c];
        if (v.is_null()) {
          ++nulls;
          continue;
        }
        const bool nan = (t.id == TypeId::kFloat && std::isnan(v.as_float())) ||
                         (t.id == TypeId::kDouble && std::isnan(v.as_double()));
        if (nan) continue;
        if (!lo || CompareValues(t, v, *lo) < 0) lo = v;
        if (!hi || CompareValues(t, v, *hi) > 0) hi = v;
      }
      const ChunkStatistics& st = info.columns[c];
      EXPECT_EQ(st.null_count, nulls);
      EXPECT_EQ(st.num_values, info.num_rows);
      ASSERT_EQ(st.min.has_value(), lo.has_value());
      if (lo) {
        // Zero extremes are widened to -0.0 / +0.0.
        if (t.id == TypeId::kDouble && lo->as_double() == 0) lo = Value(-0.0);
        if (t.id == TypeId::kDouble && hi->as_double() == 0) hi = Value(0.0);
        if (t.id == TypeId::kFloat && lo->as_float() == 0) lo = Value(-0.0f);
        if (t.id == TypeId::kFloat && hi->as_float() == 0) hi = Value(0.0f);
        EXPECT_TRUE(SameValue(*st.min, *lo)) << s.fields()[c].name << " group " << g;
        EXPECT_TRUE(SameValue(*st.max, *hi)) << s.fields()[c].name << " group " << g;
      }
    }
    first += static_cast<size_t>(info.num_rows);
  }

  // File metrics for Iceberg.
  for (size_t c = 0; c < s.fields().size(); ++c) {
    const Field& fd = s.fields()[c];
    const ColumnMetrics& m = f.result.columns.at(fd.id);
    int64_t nulls = 0, nans = 0;
    for (const Record& row : rows) {
      if (row[c].is_null()) {
        ++nulls;
      } else if ((fd.type.id == TypeId::kFloat && std::isnan(row[c].as_float())) ||
                 (fd.type.id == TypeId::kDouble && std::isnan(row[c].as_double()))) {
        ++nans;
      }
    }
    EXPECT_EQ(m.value_count, 3000);
    EXPECT_EQ(m.null_count, nulls);
    EXPECT_GT(m.compressed_size, 0);
    if (fd.type.id == TypeId::kFloat || fd.type.id == TypeId::kDouble) {
      EXPECT_EQ(m.nan_count, nans);
    } else {
      EXPECT_FALSE(m.nan_count.has_value());
    }
    ASSERT_TRUE(m.lower_bound.has_value());
    for (const Record& row : rows) {
      if (row[c].is_null()) continue;
      if (fd.type.id == TypeId::kFloat && std::isnan(row[c].as_float())) continue;
      if (fd.type.id == TypeId::kDouble && std::isnan(row[c].as_double())) continue;
      EXPECT_LE(CompareValues(fd.type, *m.lower_bound, row[c]), 0);
      EXPECT_GE(CompareValues(fd.type, *m.upper_bound, row[c]), 0);
    }
  }

  // The footer carries both annotations, field ids and column orders.
  const FileMetaData meta = Footer(f.bytes);
  EXPECT_EQ(meta.column_orders.size(), s.fields().size());
  for (const RowGroup& g : meta.row_groups) {
    for (const ColumnChunk& c : g.columns) {
      const ColumnMetaData& md = *c.meta_data;
      if (GetParam().dictionary && md.type != PhysicalType::kBoolean) {
        EXPECT_TRUE(md.dictionary_page_offset.has_value());
        EXPECT_LT(*md.dictionary_page_offset, md.data_page_offset);
      } else {
        EXPECT_FALSE(md.dictionary_page_offset.has_value());
      }
    }
  }
}

TEST_P(ParquetFileTest, ColumnsReadOrSkippedByBatchMatchAWholeRead) {
  const Schema s = AllTypesSchema();
  const std::vector<Record> rows = RandomRows(s, 3000, 9, 40);
  WriterOptions o;
  o.codec = GetParam().codec;
  o.dictionary = GetParam().dictionary;
  o.row_group_size_bytes = 64 << 10;
  o.page_size_bytes = 1 << 10;  // many pages, so skips pass over whole ones
  const WrittenFile f = WriteFile(s, rows, o, 700);
  auto r = OpenBytes(f.bytes);
  const std::vector<Record> want = ReadAll(r.get());
  ASSERT_EQ(want.size(), rows.size());
  std::mt19937_64 rng(3);
  for (const int64_t batch_size : {1, 7, 250, 4096}) {
    ReadOptions ro;
    ro.batch_size = batch_size;
    r->Start(ro);
    size_t first = 0;
    ColumnVector col;
    while (const size_t n = r->NextBatch()) {
      // Each column is read, skipped, or left for NextBatch() to skip.
      for (size_t c = 0; c < s.fields().size(); ++c) {
        switch (rng() % 3) {
          case 0:
            r->ReadColumn(c, &col);
            ASSERT_EQ(col.size(), n);
            for (size_t i = 0; i < n; ++i) {
              ASSERT_TRUE(SameValue(col.Get(i), want[first + i][c]))
                  << "batch size " << batch_size << ", row " << first + i << ", column " << c;
            }
            EXPECT_THROW(r->SkipColumn(c), InvalidArgument);
            break;
          case 1:
            r->SkipColumn(c);
            EXPECT_THROW(r->ReadColumn(c, &col), InvalidArgument);
            break;
          default:
            break;
        }
      }
      first += n;
    }
    EXPECT_EQ(first, rows.size()) << "batch size " << batch_size;
  }
}

TEST_P(ParquetFileTest, StringViewsReadTheSameValuesAndOutliveTheReader) {
  const Schema s = AllTypesSchema();
  const std::vector<Record> rows = RandomRows(s, 3000, 11, 40);
  WriterOptions o;
  o.codec = GetParam().codec;
  o.dictionary = GetParam().dictionary;
  o.row_group_size_bytes = 64 << 10;
  o.page_size_bytes = 1 << 10;  // batches span pages
  const WrittenFile f = WriteFile(s, rows, o, 700);
  for (const int64_t batch_size : {1, 333, 4096}) {
    std::vector<std::vector<ColumnVector>> batches;
    {
      auto r = OpenBytes(f.bytes);
      ReadOptions ro;
      ro.batch_size = batch_size;
      ro.string_views = true;
      r->Start(ro);
      std::vector<ColumnVector> batch;
      // The storage is refilled in place, so each batch is kept as a copy;
      // the copies share the pages they view.
      while (r->Next(&batch)) batches.push_back(batch);
    }
    size_t first = 0;
    for (const std::vector<ColumnVector>& batch : batches) {
      for (size_t c = 0; c < batch.size(); ++c) {
        const TypeId id = s.fields()[c].type.id;
        const bool bytes = id == TypeId::kString || id == TypeId::kUuid || id == TypeId::kFixed ||
                           id == TypeId::kBinary;
        EXPECT_EQ(batch[c].holds_views(), bytes) << "column " << c;
        for (size_t i = 0; i < batch[c].size(); ++i) {
          ASSERT_TRUE(SameValue(batch[c].Get(i), rows[first + i][c]))
              << "batch size " << batch_size << ", row " << first + i << ", column " << c;
        }
      }
      first += batch[0].size();
    }
    EXPECT_EQ(first, rows.size());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, ParquetFileTest,
    ::testing::Values(Variant{Codec::kNone, true}, Variant{Codec::kNone, false},
                      Variant{Codec::kSnappy, true}, Variant{Codec::kGzip, false},
                      Variant{Codec::kZstd, true}, Variant{Codec::kZstd, false}));

Schema SmallSchema() {
  return Schema(0, {Field{1, "id", DataType::Long(), true, ""},
                    Field{2, "name", DataType::String(), false, ""},
                    Field{3, "score", DataType::Double(), false, ""}});
}

TEST(ParquetWriterTest, SchemaAnnotationsFollowTheIcebergMapping) {
  const Schema s = AllTypesSchema();
  const WrittenFile f = WriteFile(s, RandomRows(s, 10, 1), WriterOptions{});
  const FileMetaData meta = Footer(f.bytes);
  ASSERT_EQ(meta.schema.size(), s.fields().size() + 1);
  EXPECT_EQ(meta.schema[0].num_children, static_cast<int32_t>(s.fields().size()));
  auto leaf = [&](const std::string& name) {
    for (const SchemaElement& e : meta.schema) {
      if (e.name == name) return e;
    }
    ADD_FAILURE() << name;
    return SchemaElement{};
  };
  EXPECT_EQ(leaf("decimal(9, 2)_req").type, PhysicalType::kInt32);
  EXPECT_EQ(leaf("decimal(18, 4)_req").type, PhysicalType::kInt64);
  const SchemaElement d38 = leaf("decimal(38, 10)_opt");
  EXPECT_EQ(d38.type, PhysicalType::kFixedLenByteArray);
  EXPECT_EQ(d38.type_length, 16);
  EXPECT_EQ(d38.converted_type, ConvertedType::kDecimal);
  EXPECT_EQ(d38.precision, 38);
  EXPECT_EQ(d38.scale, 10);
  EXPECT_EQ(d38.logical_type->kind, LogicalType::Kind::kDecimal);
  EXPECT_EQ(d38.repetition, Repetition::kOptional);
  const SchemaElement uuid = leaf("uuid_req");
  EXPECT_EQ(uuid.type_length, 16);
  EXPECT_EQ(uuid.logical_type->kind, LogicalType::Kind::kUuid);
  EXPECT_FALSE(uuid.converted_type.has_value());
  const SchemaElement tz = leaf("timestamptz_req");
  EXPECT_TRUE(tz.logical_type->adjusted_to_utc);
  EXPECT_EQ(tz.converted_type, ConvertedType::kTimestampMicros);
  EXPECT_FALSE(leaf("timestamp_req").logical_type->adjusted_to_utc);
  EXPECT_EQ(leaf("time_req").converted_type, ConvertedType::kTimeMicros);
  EXPECT_EQ(leaf("string_req").converted_type, ConvertedType::kUtf8);
  EXPECT_EQ(leaf("date_opt").field_id, 18);
  EXPECT_EQ(leaf("fixed[3]_req").type_length, 3);
  EXPECT_FALSE(leaf("long_req").logical_type.has_value());
}

TEST(ParquetWriterTest, FieldIdsCanBeLeftOut) {
  const Schema s = SmallSchema();
  const std::vector<Record> rows = {{Value(int64_t{7}), Value("a"), Value(1.5)}};
  WriterOptions o;
  o.write_field_ids = false;
  const WrittenFile f = WriteFile(s, rows, o);
  for (const SchemaElement& e : Footer(f.bytes).schema) EXPECT_FALSE(e.field_id.has_value());
  auto r = OpenBytes(f.bytes);
  ASSERT_EQ(r->columns().size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(r->columns()[c].name, s.fields()[c].name);
    EXPECT_FALSE(r->columns()[c].field_id.has_value());
  }
  ExpectSameRows(ReadAll(r.get()), rows);
}

TEST(ParquetWriterTest, DictionaryFallsBackToPlainPastItsLimit) {
  const Schema s = SmallSchema();
  std::vector<Record> rows;
  // Ten names first (the first page keeps the dictionary), then new ones.
  for (int64_t i = 0; i < 5000; ++i) {
    rows.push_back({Value(i), Value("name-" + std::to_string(i < 2000 ? i % 10 : i)),
                    Value(static_cast<double>(i % 3))});
  }
  WriterOptions o;
  o.dictionary_size_limit_bytes = 4000;
  o.page_size_bytes = 1000;
  const WrittenFile f = WriteFile(s, rows, o);
  const FileMetaData meta = Footer(f.bytes);
  ASSERT_EQ(meta.row_groups.size(), 1u);
  const ColumnMetaData& name = *meta.row_groups[0].columns[1].meta_data;
  EXPECT_TRUE(name.dictionary_page_offset.has_value());
  EXPECT_NE(std::find(name.encodings.begin(), name.encodings.end(), Encoding::kRleDictionary),
            name.encodings.end());
  EXPECT_NE(std::find(name.encodings.begin(), name.encodings.end(), Encoding::kPlain),
            name.encodings.end());
  auto r = OpenBytes(f.bytes);
  ExpectSameRows(ReadAll(r.get()), rows);
  EXPECT_EQ(*r->row_groups()[0].columns[1].min, Value("name-0"));
  EXPECT_EQ(*r->row_groups()[0].columns[1].max, Value("name-9"));
}

TEST(ParquetWriterTest, ColumnsOfDistinctValuesGetNoDictionary) {
  const Schema s = SmallSchema();
  std::vector<Record> rows;
  for (int64_t i = 0; i < 50000; ++i) {
    rows.push_back({Value(i * 7), Value("customer-" + std::to_string(i) + "-abcdefgh"),
                    Value(static_cast<double>(i % 3))});
  }
  WriterOptions o;
  const WrittenFile f = WriteFile(s, rows, o, 10000);
  const FileMetaData meta = Footer(f.bytes);
  ASSERT_EQ(meta.row_groups.size(), 1u);
  for (int c : {0, 1}) {
    const ColumnMetaData& md = *meta.row_groups[0].columns[static_cast<size_t>(c)].meta_data;
    EXPECT_FALSE(md.dictionary_page_offset.has_value()) << c;
    EXPECT_EQ(md.encodings, (std::vector<Encoding>{Encoding::kPlain, Encoding::kRle})) << c;
  }
  // Three distinct doubles keep theirs.
  EXPECT_TRUE(meta.row_groups[0].columns[2].meta_data->dictionary_page_offset.has_value());
  // Their chunks are what a writer without dictionaries makes.
  o.dictionary = false;
  const FileMetaData plain = Footer(WriteFile(s, rows, o, 10000).bytes);
  for (int c : {0, 1}) {
    EXPECT_EQ(meta.row_groups[0].columns[static_cast<size_t>(c)].meta_data->total_compressed_size,
              plain.row_groups[0].columns[static_cast<size_t>(c)].meta_data->total_compressed_size);
  }
  auto r = OpenBytes(f.bytes);
  ExpectSameRows(ReadAll(r.get()), rows);
}

TEST(ParquetWriterTest, RefusesBadBatchesBeforeWritingThem) {
  const Schema s = SmallSchema();
  std::string bytes;
  ParquetWriter w(std::make_unique<MemoryWriteFile>("m.parquet", &bytes), s);
  std::vector<ColumnVector> cols =
      ToColumns(s, {{Value(int64_t{1}), Value("a"), Value(1.0)}}, 0, 1);
  cols[0].AppendNull();
  cols[1].Append(Value("b"));
  cols[2].Append(Value(2.0));
  try {
    w.Write(cols);
    FAIL() << "no error";
  } catch (const SchemaMismatch& e) {
    EXPECT_EQ(std::string(e.what()), "m.parquet: column 'id' is required but row 1 is null");
  }
  std::vector<ColumnVector> wrong = ToColumns(s, {}, 0, 0);
  wrong[2] = ColumnVector(DataType::Float());
  EXPECT_THROW(w.Write(wrong), SchemaMismatch);
  EXPECT_EQ(bytes, "PAR1");
  const WriteResult res = w.Finish();
  EXPECT_EQ(res.record_count, 0);
  auto r = OpenBytes(bytes);
  EXPECT_EQ(r->num_rows(), 0);
  EXPECT_TRUE(r->row_groups().empty());
  EXPECT_TRUE(ReadAll(r.get()).empty());
}

TEST(ParquetWriterTest, DecimalDigitsBeyondPrecisionAreRefused) {
  const Schema s(0, {Field{1, "d", DataType::Decimal(3, 1), true, ""}});
  std::string bytes;
  ParquetWriter w(std::make_unique<MemoryWriteFile>("m.parquet", &bytes), s);
  ColumnVector c(DataType::Decimal(3, 1));
  c.Append(Value::Decimal(1000));
  EXPECT_THROW(w.Write({c}), SchemaMismatch);
}

TEST(ParquetReaderTest, PageIndexStatesEveryPagesRowsAndBounds) {
  const Schema s = SmallSchema();
  std::vector<Record> rows;
  // Pages close every 20,000 rows: name is null on all of page 1, score NaN
  // on all of page 2.
  for (int64_t i = 0; i < 50000; ++i) {
    const bool null_name = i >= 20000 && i < 40000;
    rows.push_back({Value(i), null_name ? Value::Null() : Value("n" + std::to_string(i % 3)),
                    i >= 40000 ? Value(std::nan("")) : Value(static_cast<double>(i) / 2)});
  }
  const WrittenFile f = WriteFile(s, rows, WriterOptions{}, 3000);
  auto r = OpenBytes(f.bytes);
  ExpectSameRows(ReadAll(r.get()), rows);
  ASSERT_EQ(r->row_groups().size(), 1u);
  const std::vector<PageInfo> ids = r->PageIndex(0, 0);
  ASSERT_EQ(ids.size(), 3u);
  const int64_t first[] = {0, 20000, 40000}, count[] = {20000, 20000, 10000};
  for (size_t p = 0; p < 3; ++p) {
    EXPECT_EQ(ids[p].first_row, first[p]);
    EXPECT_EQ(ids[p].num_rows, count[p]);
    EXPECT_EQ(ids[p].min, Value(first[p]));
    EXPECT_EQ(ids[p].max, Value(first[p] + count[p] - 1));
    EXPECT_EQ(ids[p].null_count, 0);
    EXPECT_FALSE(ids[p].all_null);
  }
  const std::vector<PageInfo> names = r->PageIndex(0, 1);
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].min, Value("n0"));
  EXPECT_EQ(names[0].max, Value("n2"));
  EXPECT_TRUE(names[1].all_null);
  EXPECT_EQ(names[1].null_count, 20000);
  EXPECT_FALSE(names[1].min.has_value());
  EXPECT_EQ(names[2].max, Value("n2"));
  // A page of only NaN has no bounds to state: the chunk keeps its offsets
  // but gets no column index.
  const std::vector<PageInfo> scores = r->PageIndex(0, 2);
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_EQ(scores[2].first_row, 40000);
  for (const PageInfo& p : scores) EXPECT_FALSE(p.min.has_value() || p.null_count.has_value());

  const FileMetaData meta = Footer(f.bytes);
  const ColumnChunk& id_chunk = meta.row_groups[0].columns[0];
  EXPECT_TRUE(id_chunk.column_index_offset && id_chunk.offset_index_offset);
  EXPECT_FALSE(meta.row_groups[0].columns[2].column_index_offset.has_value());
  // The null page of name is dictionary-encoded like the others.
  const ColumnMetaData& name = *meta.row_groups[0].columns[1].meta_data;
  ASSERT_TRUE(name.encoding_stats.has_value());
  ASSERT_EQ(name.encoding_stats->size(), 2u);
  EXPECT_EQ((*name.encoding_stats)[0].page_type, PageType::kDictionaryPage);
  EXPECT_EQ((*name.encoding_stats)[1].encoding, Encoding::kRleDictionary);
  EXPECT_EQ((*name.encoding_stats)[1].count, 3);

  WriterOptions without;
  without.write_page_index = false;
  auto old = OpenBytes(WriteFile(s, rows, without, 3000).bytes);
  EXPECT_TRUE(old->PageIndex(0, 0).empty());
  ExpectSameRows(ReadAll(old.get()), rows);
}

// The file `bytes` with its footer replaced by `meta`.
std::string WithFooter(const std::string& bytes, const FileMetaData& meta) {
  const uint32_t len =
      LoadLE<uint32_t>(reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size() - 8);
  std::string out = bytes.substr(0, bytes.size() - 8 - len);
  std::string footer;
  SerializeFileMetaData(meta, &footer);
  out += footer;
  AppendLE<uint32_t>(static_cast<uint32_t>(footer.size()), &out);
  return out + "PAR1";
}

TEST(ParquetReaderTest, ChunkDictionaryOnlyWhenEveryDataPageUsesIt) {
  const Schema s = SmallSchema();
  std::vector<Record> rows;
  for (int64_t i = 0; i < 30000; ++i) {
    rows.push_back({Value(i), i % 5 == 0 ? Value::Null() : Value("n" + std::to_string(i % 3)),
                    Value(static_cast<double>(i % 2))});
  }
  const WrittenFile f = WriteFile(s, rows, WriterOptions{}, 3000);
  auto r = OpenBytes(f.bytes);
  EXPECT_FALSE(r->ChunkDictionary(0, 0).has_value());  // distinct ids: PLAIN
  const std::optional<ColumnVector> names = r->ChunkDictionary(0, 1);
  ASSERT_TRUE(names.has_value());
  ASSERT_EQ(names->size(), 3u);
  EXPECT_EQ(names->Get(0), Value("n1"));
  EXPECT_EQ(names->Get(1), Value("n2"));
  EXPECT_EQ(names->Get(2), Value("n0"));
  const std::optional<ColumnVector> scores = r->ChunkDictionary(0, 2);
  ASSERT_TRUE(scores.has_value());
  EXPECT_EQ(scores->size(), 2u);
  ExpectSameRows(ReadAll(r.get()), rows);

  // Without encoding_stats, RLE_DICTIONARY chunks cannot tell a fallback
  // from their dictionary page (both list PLAIN); PLAIN_DICTIONARY chunks
  // with only level encodings beside it can.
  FileMetaData meta = Footer(f.bytes);
  for (ColumnChunk& c : meta.row_groups[0].columns) c.meta_data->encoding_stats.reset();
  EXPECT_FALSE(OpenBytes(WithFooter(f.bytes, meta))->ChunkDictionary(0, 1).has_value());
  meta.row_groups[0].columns[1].meta_data->encodings = {Encoding::kPlainDictionary, Encoding::kRle};
  auto v1 = OpenBytes(WithFooter(f.bytes, meta));
  ASSERT_TRUE(v1->ChunkDictionary(0, 1).has_value());
  EXPECT_EQ(v1->ChunkDictionary(0, 1)->size(), 3u);
  meta.row_groups[0].columns[1].meta_data->encodings = {Encoding::kPlainDictionary, Encoding::kRle,
                                                        Encoding::kPlain};
  EXPECT_FALSE(OpenBytes(WithFooter(f.bytes, meta))->ChunkDictionary(0, 1).has_value());
}

TEST(ParquetReaderTest, RowRangesReadOnlyTheirRows) {
  const Schema s = SmallSchema();
  std::vector<Record> rows;
  for (int64_t i = 0; i < 50000; ++i) {
    rows.push_back({Value(i), Value(std::to_string(i)), Value(static_cast<double>(i))});
  }
  auto r = OpenBytes(WriteFile(s, rows, WriterOptions{}, 4000).bytes);
  ReadOptions ro;
  ro.row_groups = {0};
  ro.row_ranges = {{{5, 8}, {19999, 20001}, {45000, 45003}}};
  ro.batch_size = 2;
  const std::vector<Record> got = ReadAll(r.get(), ro);
  std::vector<int64_t> ids;
  for (const Record& row : got) ids.push_back(row[0].as_long());
  EXPECT_EQ(ids, (std::vector<int64_t>{5, 6, 7, 19999, 20000, 45000, 45001, 45002}));
  // Page 1 (rows 20000-39999) holds only row 20000, which is read; pages
  // wholly between ranges are not.
  EXPECT_EQ(r->pages_skipped(), 0);
  ro.row_ranges = {{{45000, 45003}}};
  EXPECT_EQ(ReadAll(r.get(), ro).size(), 3u);
  EXPECT_EQ(r->pages_read(), 3);  // page 2 of each column
  EXPECT_EQ(r->pages_skipped(), 6);
  ro.row_ranges = {{{8, 5}}};
  EXPECT_THROW(r->Start(ro), InvalidArgument);
  ro.row_ranges = {{{0, 50001}}};
  EXPECT_THROW(r->Start(ro), InvalidArgument);
}

// Pages a row range passes over are not read from the file at all, and a
// page header longer than the bytes read ahead of it (min/max statistics of
// long strings) is read again whole.
TEST(ParquetReaderTest, RowRangesReadOnlyThePagesTheyReach) {
  const Schema s = SmallSchema();
  std::vector<Record> rows;
  for (int64_t i = 0; i < 50000; ++i) {
    rows.push_back({Value(i), Value(std::to_string(i)), Value(static_cast<double>(i))});
  }
  const std::string bytes = WriteFile(s, rows, WriterOptions{}, 4000).bytes;
  auto file = std::make_unique<MemoryReadFile>("mem.parquet", bytes);
  const MemoryReadFile* counted = file.get();
  auto r = ParquetReader::Open(std::move(file));
  ReadOptions ro;
  ro.row_groups = {0};
  ro.row_ranges = {{{45000, 45003}}};
  const uint64_t before = counted->bytes_read();
  ASSERT_EQ(ReadAll(r.get(), ro).size(), 3u);
  const uint64_t ranged = counted->bytes_read() - before;
  ASSERT_EQ(ReadAll(r.get()).size(), rows.size());
  const uint64_t whole = counted->bytes_read() - before - ranged;
  EXPECT_LT(ranged * 2, whole) << ranged << " of " << whole << " bytes";

  std::vector<Record> long_rows;
  for (int64_t i = 0; i < 40; ++i) {
    long_rows.push_back(
        {Value(i), Value(std::string(6000, static_cast<char>('a' + i % 26)) + std::to_string(i)),
         Value(0.5)});
  }
  WriterOptions small_pages;
  small_pages.dictionary = false;
  small_pages.page_size_bytes = 1000;
  auto l = OpenBytes(WriteFile(s, long_rows, small_pages, 1).bytes);  // a page per row
  ro.row_ranges = {{{30, 32}}};
  const std::vector<Record> got = ReadAll(l.get(), ro);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0][1].as_bytes(), long_rows[30][1].as_bytes());
  EXPECT_EQ(got[1][1].as_bytes(), long_rows[31][1].as_bytes());
  EXPECT_GT(l->pages_skipped(), 0);
}

TEST(ParquetReaderTest, ProjectionAndRowGroupSelection) {
  const Schema s = SmallSchema();
  std::vector<Record> rows;
  for (int64_t i = 0; i < 10000; ++i) {
    rows.push_back(
        {Value(i), i % 7 == 0 ? Value::Null() : Value(std::to_string(i)), Value(i * 0.5)});
  }
  WriterOptions o;
  o.row_group_size_bytes = 20000;
  const WrittenFile f = WriteFile(s, rows, o);
  auto r = OpenBytes(f.bytes);
  ASSERT_GT(r->row_groups().size(), 3u);
  ReadOptions ro;
  ro.columns = {2, 0};
  ro.row_groups = {1};
  ro.batch_size = 100;
  const std::vector<Record> got = ReadAll(r.get(), ro);
  ASSERT_EQ(static_cast<int64_t>(got.size()), r->row_groups()[1].num_rows);
  const int64_t first = r->row_groups()[0].num_rows;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i][1], Value(first + static_cast<int64_t>(i)));
    EXPECT_EQ(got[i][0], Value((first + static_cast<int64_t>(i)) * 0.5));
  }
  ro.columns = {3};
  EXPECT_THROW(r->Start(ro), InvalidArgument);
}

// Builds a Parquet file from hand-made chunks and a footer, for layouts the
// writer never produces (v2 pages, DELTA encodings, foreign types).
std::string BuildFile(const std::vector<SchemaElement>& leaves,
                      const std::vector<std::string>& chunk_pages,
                      const std::vector<ColumnMetaData>& metas, int64_t rows) {
  std::string file = "PAR1";
  FileMetaData m;
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(leaves.size());
  m.schema.push_back(root);
  for (const SchemaElement& e : leaves) m.schema.push_back(e);
  RowGroup g;
  g.num_rows = rows;
  for (size_t i = 0; i < chunk_pages.size(); ++i) {
    ColumnMetaData md = metas[i];
    md.data_page_offset = static_cast<int64_t>(file.size());
    md.total_compressed_size = static_cast<int64_t>(chunk_pages[i].size());
    file += chunk_pages[i];
    ColumnChunk c;
    c.meta_data = md;
    g.columns.push_back(c);
  }
  m.row_groups.push_back(g);
  m.num_rows = rows;
  std::string footer;
  SerializeFileMetaData(m, &footer);
  file += footer;
  AppendLE<uint32_t>(static_cast<uint32_t>(footer.size()), &file);
  return file + "PAR1";
}

TEST(ParquetReaderTest, ReadsDataPageV2WithDeltaEncodings) {
  SchemaElement id;
  id.name = "id";
  id.type = PhysicalType::kInt32;
  id.repetition = Repetition::kOptional;
  id.logical_type =
      LogicalType{LogicalType::Kind::kInteger, 0, 0, false, TimeUnit::kMicros, 16, true};
  // Values 7 5 3 1 2 3 4 5 (Encodings.md example 2) with a null after the first.
  const std::string values =
      std::string("\x80\x01\x04\x08\x0E\x03\x02\x00\x00\x00\xC0\x3F", 12) + std::string(6, '\0');
  // Definition levels: bit-packed group of 9 -> 2 groups: 1,0,1,1,1,1,1,1 | 1.
  const std::string levels("\x05\xFD\x01", 3);
  PageHeader h;
  h.type = PageType::kDataPageV2;
  h.uncompressed_page_size = static_cast<int32_t>(levels.size() + values.size());
  DataPageHeaderV2 v2;
  v2.num_values = 9;
  v2.num_nulls = 1;
  v2.num_rows = 9;
  v2.encoding = Encoding::kDeltaBinaryPacked;
  v2.definition_levels_byte_length = static_cast<int32_t>(levels.size());
  v2.is_compressed = true;
  h.data_page_header_v2 = v2;
  h.compressed_page_size = h.uncompressed_page_size;
  std::string page;
  SerializePageHeader(h, &page);
  page += levels + values;
  ColumnMetaData md;
  md.type = PhysicalType::kInt32;
  md.codec = CompressionCodec::kUncompressed;
  md.num_values = 9;
  const std::string file = BuildFile({id}, {page}, {md}, 9);
  auto r = OpenBytes(file);
  EXPECT_EQ(r->columns()[0].type, DataType::Int());
  const std::vector<Record> rows = ReadAll(r.get());
  ASSERT_EQ(rows.size(), 9u);
  const std::vector<Value> want = {Value(int32_t{7}), Value::Null(),     Value(int32_t{5}),
                                   Value(int32_t{3}), Value(int32_t{1}), Value(int32_t{2}),
                                   Value(int32_t{3}), Value(int32_t{4}), Value(int32_t{5})};
  for (size_t i = 0; i < 9; ++i) EXPECT_EQ(rows[i][0], want[i]) << i;
}

TEST(ParquetReaderTest, UnsupportedColumnsNameTheColumn) {
  SchemaElement ts;
  ts.name = "legacy_ts";
  ts.type = PhysicalType::kInt96;
  ts.repetition = Repetition::kOptional;
  ColumnMetaData md;
  md.type = PhysicalType::kInt96;
  try {
    OpenBytes(BuildFile({ts}, {""}, {md}, 0));
    FAIL() << "no error";
  } catch (const NotSupported& e) {
    EXPECT_NE(std::string(e.what()).find("column 'legacy_ts' is INT96"), std::string::npos)
        << e.what();
  }
  SchemaElement u64;
  u64.name = "big";
  u64.type = PhysicalType::kInt64;
  u64.logical_type =
      LogicalType{LogicalType::Kind::kInteger, 0, 0, false, TimeUnit::kMicros, 64, false};
  md.type = PhysicalType::kInt64;
  EXPECT_THROW(OpenBytes(BuildFile({u64}, {""}, {md}, 0)), NotSupported);
  SchemaElement group;
  group.name = "s";
  group.num_children = 1;
  SchemaElement inner;
  inner.name = "x";
  inner.type = PhysicalType::kInt32;
  try {
    OpenBytes(BuildFile({group, inner}, {}, {}, 0));
    FAIL() << "no error";
  } catch (const NotSupported& e) {
    EXPECT_NE(std::string(e.what()).find("column 's' is a nested group"), std::string::npos);
  }
}

TEST(ParquetReaderTest, TruncatedFileNamesFileAndOffset) {
  const Schema s = SmallSchema();
  const WrittenFile f = WriteFile(s, {{Value(int64_t{1}), Value("a"), Value(1.0)}}, {});
  try {
    OpenBytes(f.bytes.substr(0, f.bytes.size() - 3));
    FAIL() << "no error";
  } catch (const Corruption& e) {
    EXPECT_EQ(std::string(e.what()).rfind("mem.parquet: offset ", 0), 0u) << e.what();
  }
  EXPECT_THROW(OpenBytes("PAR1PAR1"), Corruption);
}

// Issue 13 item 4: min_value/max_value are trusted only under a known
// ColumnOrder for the column (TYPE_ORDER, or IEEE_754_TOTAL_ORDER for
// floats), legacy min/max only for signed physical types, and no decimal
// statistics on BYTE_ARRAY/FIXED_LEN_BYTE_ARRAY written by parquet-cpp
// before 4.0 (PARQUET-1655: compared as unsigned bytes).
TEST(ParquetReaderTest, Item4StatisticsNeedAKnownColumnOrderAndACorrectWriter) {
  const Schema s(0, {Field{1, "a", DataType::Long(), true, ""},
                     Field{2, "d", DataType::Decimal(20, 2), true, ""},
                     Field{3, "x", DataType::Double(), true, ""}});
  const WrittenFile f = WriteFile(s,
                                  {{Value(int64_t{-5}), Value::Decimal(-500), Value(1.5)},
                                   {Value(int64_t{7}), Value::Decimal(100), Value(-2.5)}},
                                  {});
  const FileMetaData written = Footer(f.bytes);
  ASSERT_EQ(written.column_orders.size(), 3u);
  // Which columns of the (one) row group have min and max.
  auto bounded = [&f](const FileMetaData& m) {
    const auto r = OpenBytes(WithFooter(f.bytes, m));
    std::vector<bool> out;
    for (const ChunkStatistics& c : r->row_groups()[0].columns) {
      out.push_back(c.min.has_value() && c.max.has_value());
    }
    return out;
  };
  using B = std::vector<bool>;
  EXPECT_EQ(bounded(written), (B{true, true, true}));
  {
    const auto r = OpenBytes(f.bytes);
    const ChunkStatistics& d = r->row_groups()[0].columns[1];
    EXPECT_EQ(d.min->as_decimal(), -500);
    EXPECT_EQ(d.max->as_decimal(), 100);
  }

  // No column_orders: min_value/max_value mean nothing; legacy min/max
  // (always signed order) count for the long column, not for the decimal.
  FileMetaData m = written;
  m.column_orders.clear();
  EXPECT_EQ(bounded(m), (B{false, false, false}));
  for (int c = 0; c < 2; ++c) {
    Statistics& st = *m.row_groups[0].columns[static_cast<size_t>(c)].meta_data->statistics;
    st.min = st.min_value;
    st.max = st.max_value;
    st.min_value.reset();
    st.max_value.reset();
  }
  EXPECT_EQ(bounded(m), (B{true, false, false}));

  // An unknown ColumnOrder, and IEEE 754 total order on a non-float.
  m = written;
  m.column_orders = {ColumnOrder::kIeee754TotalOrder, static_cast<ColumnOrder>(9),
                     ColumnOrder::kIeee754TotalOrder};
  EXPECT_EQ(bounded(m), (B{false, false, true}));
  // Fewer orders than columns: the columns without one have none.
  m.column_orders = {ColumnOrder::kTypeOrder};
  EXPECT_EQ(bounded(m), (B{true, false, false}));

  // PARQUET-1655: parquet-cpp before 4.0 ordered FLBA decimals as unsigned
  // bytes; its decimal statistics are ignored, the others kept.
  m = written;
  for (const char* old :
       {"parquet-cpp-arrow version 3.0.0", "parquet-cpp version 1.5.1",
        "parquet-cpp-arrow version 0.17.1", "parquet-cpp version 1.5.1-SNAPSHOT"}) {
    m.created_by = old;
    EXPECT_EQ(bounded(m), (B{true, false, true})) << old;
  }
  for (const char* fixed : {"parquet-cpp-arrow version 4.0.0", "parquet-cpp-arrow version 15.0.2",
                            "parquet-mr version 1.12.3 (build abc)", "duckdb"}) {
    m.created_by = fixed;
    EXPECT_EQ(bounded(m), (B{true, true, true})) << fixed;
  }
}

}  // namespace
}  // namespace datashard::parquet
