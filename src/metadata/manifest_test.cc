#include "metadata/manifest.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <limits>

#include "datashard/errors.h"
#include "format/avro/avro_file.h"
#include "io/fault_injection_file_io.h"
#include "io/temp_dir.h"
#include "metadata/manifest_avro.h"
#include "metadata/manifest_decimal.h"
#include "metadata/manifest_samples.h"
#include "util/hex.h"

namespace datashard {
namespace {

// The shared samples plus two fields whose Avro forms repeat an earlier
// named type (decimal_9_2) or need a sanitized name (ts-hour).
std::vector<PartitionFieldType> AllTypeFields() {
  std::vector<PartitionFieldType> fields = samples::PartitionFields();
  fields.push_back({1015, "dec_again", DataType::Decimal(9, 2)});
  fields.push_back({1016, "ts-hour", DataType::Int()});
  return fields;
}

std::vector<Value> PartitionA() {
  std::vector<Value> values = samples::PartitionA();
  values.push_back(Value::Decimal(-5));
  values.push_back(Value(int32_t{474000}));
  return values;
}

std::vector<Value> PartitionB() {
  std::vector<Value> values = samples::PartitionB();
  values.push_back(Value::Null());
  values.push_back(Value::Null());
  return values;
}

ManifestContext Context(std::vector<PartitionFieldType> fields) {
  ManifestContext c;
  c.schema_json =
      R"({"type":"struct","schema-id":3,"fields":[{"id":1,"name":"id","required":true,"type":"long"}]})";
  c.schema_id = 3;
  c.partition_spec_json = R"([{"name":"b","transform":"identity","source-id":1,"field-id":1000}])";
  c.partition_spec_id = 2;
  c.partition_fields = std::move(fields);
  return c;
}

class ManifestTest : public ::testing::Test {
 protected:
  TempDir dir_{"manifest-test"};
  std::shared_ptr<FileIO> io_ = NewPosixFileIO();
};

TEST_F(ManifestTest, RoundTripsEntriesWithEveryPartitionTypeAndInheritance) {
  const ManifestContext context = Context(AllTypeFields());
  std::vector<ManifestEntry> entries = samples::Entries("/t/data");
  entries[0].data_file.file_path = "file:///t/data/a.parquet";
  entries[0].data_file.partition = PartitionA();
  entries[1].data_file.partition = PartitionB();
  entries[2].data_file.partition = std::vector<Value>(17, Value::Null());

  const std::string path = dir_.Join("m0.avro");
  ManifestFile m = WriteManifest(*io_, path, context, 77, entries);
  EXPECT_EQ(m.manifest_path, path);
  EXPECT_EQ(m.manifest_length, static_cast<int64_t>(io_->Stat(path).size));
  EXPECT_EQ(m.partition_spec_id, 2);
  EXPECT_EQ(m.content, FileContent::kData);
  EXPECT_EQ(m.added_snapshot_id, 77);
  EXPECT_EQ(m.added_files_count, 1);
  EXPECT_EQ(m.existing_files_count, 1);
  EXPECT_EQ(m.deleted_files_count, 1);
  EXPECT_EQ(m.added_rows_count, 1234);
  EXPECT_EQ(m.existing_rows_count, 10);
  EXPECT_EQ(m.deleted_rows_count, 3);

  // Summaries come from the ADDED and EXISTING entries only.
  ASSERT_EQ(m.partitions.size(), 17u);
  const auto fields = AllTypeFields();
  const auto a = PartitionA(), b = PartitionB();
  for (size_t i = 0; i < fields.size(); ++i) {
    SCOPED_TRACE(fields[i].name);
    const PartitionFieldSummary& s = m.partitions[i];
    EXPECT_EQ(s.contains_null, b[i].is_null());
    EXPECT_EQ(s.contains_nan, i == 3);
    const DataType& t = fields[i].type;
    const bool nan_b = i == 3;
    Value lo = a[i], hi = a[i];
    if (!b[i].is_null() && !nan_b) {
      if (CompareValues(t, b[i], lo) < 0) lo = b[i];
      if (CompareValues(t, b[i], hi) > 0) hi = b[i];
    }
    EXPECT_EQ(s.lower_bound, SerializeSingleValue(t, lo));
    EXPECT_EQ(s.upper_bound, SerializeSingleValue(t, hi));
  }
  EXPECT_EQ(HexEncode(*m.partitions[5].lower_bound), "fe7961");  // -99999
  EXPECT_EQ(HexEncode(*m.partitions[5].upper_bound), "058c");    // 14.20

  m.sequence_number = 6;
  m.min_sequence_number = 4;
  const std::vector<ManifestEntry> back = ReadManifest(*io_, m);
  ASSERT_EQ(back.size(), 3u);
  ManifestEntry want0 = entries[0];
  want0.snapshot_id = 77;
  want0.sequence_number = 6;
  want0.file_sequence_number = 6;
  const auto& got = back[0];
  EXPECT_EQ(got.status, EntryStatus::kAdded);
  EXPECT_EQ(got.snapshot_id, 77);
  EXPECT_EQ(got.sequence_number, 6);
  EXPECT_EQ(got.file_sequence_number, 6);
  const DataFile& f = got.data_file;
  const DataFile& w = want0.data_file;
  EXPECT_EQ(f.content, FileContent::kData);
  EXPECT_EQ(f.file_path, w.file_path);
  EXPECT_EQ(f.file_format, "PARQUET");
  EXPECT_EQ(f.partition, w.partition);
  EXPECT_EQ(f.record_count, w.record_count);
  EXPECT_EQ(f.file_size_in_bytes, w.file_size_in_bytes);
  EXPECT_EQ(f.column_sizes, w.column_sizes);
  EXPECT_EQ(f.value_counts, w.value_counts);
  EXPECT_EQ(f.null_value_counts, w.null_value_counts);
  EXPECT_EQ(f.nan_value_counts, w.nan_value_counts);
  EXPECT_EQ(f.lower_bounds, w.lower_bounds);
  EXPECT_EQ(f.upper_bounds, w.upper_bounds);
  EXPECT_EQ(f.split_offsets, w.split_offsets);
  EXPECT_TRUE(f.equality_ids.empty());
  EXPECT_EQ(f.sort_order_id, 0);
  EXPECT_EQ(f.referenced_data_file, std::nullopt);

  EXPECT_EQ(back[1].status, EntryStatus::kExisting);
  EXPECT_EQ(back[1].snapshot_id, 11);
  EXPECT_EQ(back[1].sequence_number, 4);
  EXPECT_EQ(back[1].file_sequence_number, 5);
  ASSERT_EQ(back[1].data_file.partition.size(), b.size());
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 3) {
      EXPECT_TRUE(std::isnan(back[1].data_file.partition[i].as_float()));
    } else {
      EXPECT_EQ(back[1].data_file.partition[i], b[i]) << i;
    }
  }
  EXPECT_TRUE(back[1].data_file.column_sizes.empty());
  EXPECT_TRUE(back[1].data_file.split_offsets.empty());
  EXPECT_EQ(back[1].data_file.sort_order_id, std::nullopt);
  EXPECT_EQ(back[2].status, EntryStatus::kDeleted);
  EXPECT_EQ(back[2].snapshot_id, 77);
  EXPECT_EQ(back[2].sequence_number, 2);
  EXPECT_EQ(back[2].data_file.partition, std::vector<Value>(17, Value::Null()));

  // The header and schema as other readers see them.
  AvroFileReader reader(io_->ReadFile(path), path);
  EXPECT_EQ(reader.codec(), AvroCodec::kDeflate);
  EXPECT_EQ(*reader.Metadata("schema"), context.schema_json);
  EXPECT_EQ(*reader.Metadata("schema-id"), "3");
  EXPECT_EQ(*reader.Metadata("partition-spec"), context.partition_spec_json);
  EXPECT_EQ(*reader.Metadata("partition-spec-id"), "2");
  EXPECT_EQ(*reader.Metadata("format-version"), "2");
  EXPECT_EQ(*reader.Metadata("content"), "data");
  const AvroNode& entry = *reader.schema();
  EXPECT_EQ(entry.name, "manifest_entry");
  const AvroNode& r2 = *entry.fields[entry.FieldIndexById(2)].type;
  EXPECT_EQ(r2.name, "r2");
  const AvroNode& r102 = *r2.fields[r2.FieldIndexById(102)].type;
  EXPECT_EQ(r102.name, "r102");
  EXPECT_EQ(r102.fields[16].name, "ts_x2Dhour");
  EXPECT_EQ(r102.fields[16].field_id(), 1016);
  const AvroNode& sizes = *r2.fields[r2.FieldIndexById(108)].type->branches[1];
  EXPECT_EQ(sizes.logical_type, "map");
  EXPECT_EQ(sizes.items->name, "k117_v118");
  EXPECT_EQ(r2.fields[r2.FieldIndexById(132)].type->branches[1]->IntAttribute("element-id"), 133);

  // The context comes back from the header with types from the r102 record.
  const ManifestContext read_context = ReadManifestContext(*io_, path);
  EXPECT_EQ(read_context.schema_json, context.schema_json);
  EXPECT_EQ(read_context.schema_id, 3);
  EXPECT_EQ(read_context.partition_spec_id, 2);
  EXPECT_EQ(read_context.partition_spec_json, context.partition_spec_json);
  EXPECT_EQ(read_context.content, FileContent::kData);
  ASSERT_EQ(read_context.partition_fields.size(), fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    EXPECT_EQ(read_context.partition_fields[i].field_id, fields[i].field_id);
    EXPECT_EQ(read_context.partition_fields[i].type, fields[i].type) << fields[i].name;
  }
  EXPECT_EQ(read_context.partition_fields[0].name, "b");            // from the spec JSON
  EXPECT_EQ(read_context.partition_fields[16].name, "ts_x2Dhour");  // not in the spec JSON
}

TEST_F(ManifestTest, WritesDeleteManifestsAndExplicitDataSequenceNumbers) {
  ManifestContext context = Context({});
  context.content = FileContent::kPositionDeletes;
  std::vector<ManifestEntry> entries(2);
  entries[0].data_file.content = FileContent::kPositionDeletes;
  entries[0].data_file.file_path = "/t/data/del.parquet";
  entries[0].data_file.referenced_data_file = "/t/data/a.parquet";
  entries[0].data_file.record_count = 2;
  entries[1].data_file.content = FileContent::kEqualityDeletes;
  entries[1].data_file.file_path = "/t/data/eq.parquet";
  entries[1].data_file.equality_ids = {1, 3};
  entries[1].sequence_number = 2;  // an older data sequence number is kept explicitly
  ManifestFile m = WriteManifest(*io_, dir_.Join("d.avro"), context, 5, entries);
  EXPECT_EQ(m.content, FileContent::kPositionDeletes);
  EXPECT_TRUE(m.partitions.empty());
  AvroFileReader reader(io_->ReadFile(m.manifest_path), m.manifest_path);
  EXPECT_EQ(*reader.Metadata("content"), "deletes");
  EXPECT_EQ(*reader.Metadata("partition-spec"), context.partition_spec_json);
  m.sequence_number = 9;
  const auto back = ReadManifest(*io_, m);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].data_file.content, FileContent::kPositionDeletes);
  EXPECT_EQ(back[0].data_file.referenced_data_file, "/t/data/a.parquet");
  EXPECT_EQ(back[0].sequence_number, 9);
  EXPECT_EQ(back[1].data_file.content, FileContent::kEqualityDeletes);
  EXPECT_EQ(back[1].data_file.equality_ids, (std::vector<int>{1, 3}));
  EXPECT_EQ(back[1].sequence_number, 2);
  EXPECT_EQ(back[1].file_sequence_number, 9);
  EXPECT_EQ(ReadManifestContext(*io_, m.manifest_path).content, FileContent::kPositionDeletes);
}

TEST_F(ManifestTest, RefusesBadInputBeforeWritingAndTakenNames) {
  const ManifestContext context = Context({{1000, "p", DataType::Int()}});
  auto expect_refused = [&](ManifestEntry e, const std::string& name) {
    EXPECT_THROW(WriteManifest(*io_, dir_.Join(name), context, 1, {e}), InvalidArgument) << name;
    EXPECT_FALSE(io_->Exists(dir_.Join(name))) << name;
  };
  ManifestEntry good;
  good.data_file.file_path = "/x.parquet";
  good.data_file.partition = {Value(int32_t{1})};
  ManifestEntry e = good;
  e.data_file.partition = {};
  expect_refused(e, "count.avro");
  e = good;
  e.data_file.partition = {Value(int64_t{1})};
  expect_refused(e, "type.avro");
  e = good;
  e.status = EntryStatus::kExisting;
  expect_refused(e, "noseq.avro");
  e = good;
  e.data_file.content = FileContent::kPositionDeletes;
  expect_refused(e, "content.avro");
  e = good;
  e.data_file.file_path = "";
  expect_refused(e, "path.avro");

  WriteManifest(*io_, dir_.Join("taken.avro"), context, 1, {good});
  EXPECT_THROW(WriteManifest(*io_, dir_.Join("taken.avro"), context, 1, {good}), AlreadyExists);
  EXPECT_THROW(WriteManifestList(*io_, dir_.Join("taken.avro"), 1, std::nullopt, 1, {}),
               AlreadyExists);
}

TEST_F(ManifestTest, ManifestListRoundTripsWithHeaderKeys) {
  ManifestFile a;
  a.manifest_path = "/t/metadata/a-m0.avro";
  a.manifest_length = 4242;
  a.partition_spec_id = 1;
  a.sequence_number = 7;
  a.min_sequence_number = 3;
  a.added_snapshot_id = std::numeric_limits<int64_t>::max();
  a.added_files_count = 2;
  a.existing_files_count = 3;
  a.deleted_files_count = 4;
  a.added_rows_count = int64_t{1} << 40;
  a.existing_rows_count = 6;
  a.deleted_rows_count = 7;
  a.partitions = {{false, false, std::string("\x01\0\0\0", 4), std::string("\x09\0\0\0", 4)},
                  {true, std::nullopt, std::nullopt, std::nullopt}};
  ManifestFile b;
  b.manifest_path = "/t/metadata/b-m0.avro";
  b.content = FileContent::kPositionDeletes;
  b.sequence_number = 8;
  b.min_sequence_number = 8;
  b.added_snapshot_id = 5;
  const std::string path = dir_.Join("snap-1.avro");
  WriteManifestList(*io_, path, 99, 98, 8, {a, b});
  const auto back = ReadManifestList(*io_, path);
  // Equal as a whole: commits keep the lists they write as written.
  EXPECT_EQ(back, (std::vector<ManifestFile>{a, b}));
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const ManifestFile& w = i == 0 ? a : b;
    const ManifestFile& g = back[i];
    EXPECT_EQ(g.manifest_path, w.manifest_path);
    EXPECT_EQ(g.manifest_length, w.manifest_length);
    EXPECT_EQ(g.partition_spec_id, w.partition_spec_id);
    EXPECT_EQ(g.content, w.content);
    EXPECT_EQ(g.sequence_number, w.sequence_number);
    EXPECT_EQ(g.min_sequence_number, w.min_sequence_number);
    EXPECT_EQ(g.added_snapshot_id, w.added_snapshot_id);
    EXPECT_EQ(g.added_files_count, w.added_files_count);
    EXPECT_EQ(g.existing_files_count, w.existing_files_count);
    EXPECT_EQ(g.deleted_files_count, w.deleted_files_count);
    EXPECT_EQ(g.added_rows_count, w.added_rows_count);
    EXPECT_EQ(g.existing_rows_count, w.existing_rows_count);
    EXPECT_EQ(g.deleted_rows_count, w.deleted_rows_count);
    ASSERT_EQ(g.partitions.size(), w.partitions.size());
    for (size_t k = 0; k < w.partitions.size(); ++k) {
      EXPECT_EQ(g.partitions[k].contains_null, w.partitions[k].contains_null);
      EXPECT_EQ(g.partitions[k].contains_nan, w.partitions[k].contains_nan);
      EXPECT_EQ(g.partitions[k].lower_bound, w.partitions[k].lower_bound);
      EXPECT_EQ(g.partitions[k].upper_bound, w.partitions[k].upper_bound);
    }
  }
  AvroFileReader reader(io_->ReadFile(path), path);
  EXPECT_EQ(*reader.Metadata("snapshot-id"), "99");
  EXPECT_EQ(*reader.Metadata("parent-snapshot-id"), "98");
  EXPECT_EQ(*reader.Metadata("sequence-number"), "8");
  EXPECT_EQ(*reader.Metadata("format-version"), "2");
  EXPECT_EQ(reader.schema()->name, "manifest_file");
  const AvroNode& s = *reader.schema();
  const std::vector<std::pair<int, std::string>> ids = {
      {500, "manifest_path"},        {501, "manifest_length"},
      {502, "partition_spec_id"},    {517, "content"},
      {515, "sequence_number"},      {516, "min_sequence_number"},
      {503, "added_snapshot_id"},    {504, "added_files_count"},
      {505, "existing_files_count"}, {506, "deleted_files_count"},
      {512, "added_rows_count"},     {513, "existing_rows_count"},
      {514, "deleted_rows_count"},   {507, "partitions"},
      {519, "key_metadata"}};
  ASSERT_EQ(s.fields.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(s.fields[i].field_id(), ids[i].first);
    EXPECT_EQ(s.fields[i].name, ids[i].second);
  }

  const std::string first = dir_.Join("snap-2.avro");
  WriteManifestList(*io_, first, 1, std::nullopt, 1, {});
  AvroFileReader r2(io_->ReadFile(first), first);
  EXPECT_EQ(*r2.Metadata("parent-snapshot-id"), "null");
  EXPECT_TRUE(ReadManifestList(*io_, first).empty());
}

TEST_F(ManifestTest, DamagedFilesAreCorruption) {
  const ManifestContext context = Context({{1000, "p", DataType::Int()}});
  ManifestEntry e;
  e.data_file = samples::FullDataFile("/t/a.parquet", {Value(int32_t{3})});
  ManifestFile m = WriteManifest(*io_, dir_.Join("ok.avro"), context, 1, {e});
  m.sequence_number = 1;
  const std::string bytes = io_->ReadFile(m.manifest_path);
  io_->WriteFile(dir_.Join("cut.avro"), bytes.substr(0, bytes.size() - 20));
  ManifestFile cut = m;
  cut.manifest_path = dir_.Join("cut.avro");
  try {
    ReadManifest(*io_, cut);
    FAIL();
  } catch (const Corruption& err) {
    EXPECT_NE(std::string(err.what()).find("cut.avro"), std::string::npos) << err.what();
  }
  io_->WriteFile(dir_.Join("text.avro"), "hello");
  EXPECT_THROW(ReadManifestList(*io_, dir_.Join("text.avro")), Corruption);
  // A manifest list is no manifest: its schema lacks the entry fields.
  WriteManifestList(*io_, dir_.Join("list.avro"), 1, std::nullopt, 1, {m});
  ManifestFile wrong = m;
  wrong.manifest_path = dir_.Join("list.avro");
  EXPECT_THROW(ReadManifest(*io_, wrong), Corruption);
}

TEST_F(ManifestTest, EachFileIsOneFsyncAndAFailedWriteLeavesNothing) {
  const ManifestContext context = Context({{1000, "p", DataType::Int()}});
  ManifestEntry e;
  e.data_file.file_path = "/x.parquet";
  e.data_file.partition = {Value(int32_t{1})};
  FaultInjectionFileIO faulty(io_);
  ManifestFile m = WriteManifest(faulty, dir_.Join("ok.avro"), context, 1, {e});
  WriteManifestList(faulty, dir_.Join("ok-list.avro"), 1, std::nullopt, 1, {m});
  EXPECT_EQ(faulty.counters().creates, 2);
  EXPECT_EQ(faulty.counters().syncs, 2);
  for (FaultOp op : {FaultOp::kAppend, FaultOp::kSync}) {
    faulty.FailNth(op, 1, EIO);
    EXPECT_THROW(WriteManifest(faulty, dir_.Join("failed.avro"), context, 1, {e}), IOError);
    EXPECT_FALSE(io_->Exists(dir_.Join("failed.avro")));
    faulty.FailNth(op, 1, ENOSPC);
    EXPECT_THROW(WriteManifestList(faulty, dir_.Join("failed-list.avro"), 1, std::nullopt, 1, {m}),
                 IOError);
    EXPECT_FALSE(io_->Exists(dir_.Join("failed-list.avro")));
  }
}

TEST(SingleValueTest, SerializesEveryPrimitiveAsAppendixD) {
  struct Case {
    DataType type;
    Value value;
    std::string hex;
  };
  const std::vector<Case> cases = {
      {DataType::Boolean(), Value(true), "01"},
      {DataType::Boolean(), Value(false), "00"},
      {DataType::Int(), Value(int32_t{1}), "01000000"},
      {DataType::Int(), Value(int32_t{-2}), "feffffff"},
      {DataType::Date(), Value(int32_t{19000}), "384a0000"},
      {DataType::Long(), Value(int64_t{1}), "0100000000000000"},
      {DataType::Time(), Value(int64_t{3600000000}), "00a493d600000000"},
      {DataType::Timestamp(), Value(int64_t{-1}), "ffffffffffffffff"},
      {DataType::TimestampTz(), Value(int64_t{256}), "0001000000000000"},
      {DataType::Float(), Value(1.0f), "0000803f"},
      {DataType::Float(), Value(-0.0f), "00000080"},
      {DataType::Double(), Value(-2.0), "00000000000000c0"},
      {DataType::String(), Value("iceberg"), "69636562657267"},
      {DataType::String(), Value(""), ""},
      {DataType::Binary(), Value(std::string("\0\xff", 2)), "00ff"},
      {DataType::Fixed(2), Value(std::string("ab")), "6162"},
      {DataType::Uuid(), Value(samples::UuidBytes()), "f79c3e09677c4bbda4793f349cb785e7"},
      {DataType::Decimal(4, 2), Value::Decimal(1420), "058c"},
      {DataType::Decimal(9, 2), Value::Decimal(0), "00"},
      {DataType::Decimal(9, 2), Value::Decimal(-1), "ff"},
      {DataType::Decimal(9, 2), Value::Decimal(127), "7f"},
      {DataType::Decimal(9, 2), Value::Decimal(128), "0080"},
      {DataType::Decimal(9, 2), Value::Decimal(-128), "80"},
      {DataType::Decimal(9, 2), Value::Decimal(-129), "ff7f"},
      {DataType::Decimal(38, 0), Value::Decimal(-(Int128{1} << 126)),
       "c0000000000000000000000000000000"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.type.ToString() + " " + c.hex);
    const std::string bytes = SerializeSingleValue(c.type, c.value);
    EXPECT_EQ(HexEncode(bytes), c.hex);
    EXPECT_EQ(DeserializeSingleValue(c.type, bytes), c.value);
  }
  EXPECT_TRUE(std::isnan(
      DeserializeSingleValue(DataType::Double(),
                             SerializeSingleValue(DataType::Double(), Value(std::nan(""))))
          .as_double()));
  // Bounds written before a promotion: int read as long, float as double.
  EXPECT_EQ(DeserializeSingleValue(DataType::Long(), HexDecode("feffffff")), Value(int64_t{-2}));
  EXPECT_EQ(DeserializeSingleValue(DataType::Double(), HexDecode("0000803f")), Value(1.0));
}

TEST(SingleValueTest, RejectsNullsMismatchesAndBadLengths) {
  EXPECT_THROW(SerializeSingleValue(DataType::Int(), Value::Null()), InvalidArgument);
  EXPECT_THROW(SerializeSingleValue(DataType::Int(), Value(int64_t{1})), InvalidArgument);
  EXPECT_THROW(SerializeSingleValue(DataType::Uuid(), Value("short")), InvalidArgument);
  EXPECT_THROW(DeserializeSingleValue(DataType::Int(), "abc"), Corruption);
  EXPECT_THROW(DeserializeSingleValue(DataType::Boolean(), ""), Corruption);
  EXPECT_THROW(DeserializeSingleValue(DataType::Timestamp(), "abcd"), Corruption);
  EXPECT_THROW(DeserializeSingleValue(DataType::Float(), "abcdefgh"), Corruption);
  EXPECT_THROW(DeserializeSingleValue(DataType::Uuid(), "abcd"), Corruption);
  EXPECT_THROW(DeserializeSingleValue(DataType::Fixed(3), "ab"), Corruption);
  EXPECT_THROW(DeserializeSingleValue(DataType::Decimal(9, 2), ""), Corruption);
  EXPECT_THROW(DeserializeSingleValue(DataType::Decimal(38, 2), std::string(17, '\1')), Corruption);
}

TEST(ManifestAvroTest, DecimalSizesAndNamesFollowJava) {
  EXPECT_EQ(DecimalRequiredBytes(1), 1);
  EXPECT_EQ(DecimalRequiredBytes(2), 1);
  EXPECT_EQ(DecimalRequiredBytes(3), 2);
  EXPECT_EQ(DecimalRequiredBytes(9), 4);
  EXPECT_EQ(DecimalRequiredBytes(10), 5);
  EXPECT_EQ(DecimalRequiredBytes(18), 8);
  EXPECT_EQ(DecimalRequiredBytes(38), 16);
  EXPECT_EQ(HexEncode(FixedDecimalBytes(-1, 4)), "ffffffff");
  EXPECT_EQ(HexEncode(FixedDecimalBytes(1420, 4)), "0000058c");
  EXPECT_THROW(FixedDecimalBytes(Int128{1} << 40, 4), InvalidArgument);
  EXPECT_EQ(AvroCompatibleName("id_bucket"), "id_bucket");
  EXPECT_EQ(AvroCompatibleName("1st"), "_1st");
  EXPECT_EQ(AvroCompatibleName("a-b"), "a_x2Db");
  EXPECT_EQ(AvroCompatibleName("é"), "_xE9");
  EXPECT_EQ(AvroCompatibleName(""), "_");
}

}  // namespace
}  // namespace datashard
